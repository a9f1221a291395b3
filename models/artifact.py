"""A deployable model directory: a saved forecaster plus a manifest naming its class.

The same layout is the MLflow model's artifact, the BentoML model's content and the folder
Kubernetes can mount as a volume, so every path loads a model the same way.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from models.config import ForecasterConfig

__all__ = [
    "MANIFEST_NAME",
    "ModelManifest",
    "fresh_copy",
    "load_model_dir",
    "read_manifest",
    "save_model_dir",
    "write_manifest",
]

MANIFEST_NAME = "quantis_model.json"
FORECASTER_DIR = "forecaster"


def _classes() -> dict[str, type]:
    """The forecaster classes a model directory can hold, by name. Imported here, not at the
    top: the model server reads `MANIFEST_NAME` before it loads statsforecast and LightGBM."""
    from models.combined import CombinedForecaster
    from models.forecaster import LightGBMForecaster

    return {cls.__name__: cls for cls in (LightGBMForecaster, CombinedForecaster)}


@dataclass(frozen=True)
class ModelManifest:
    """What a model directory holds and where it came from."""

    model_class: str
    freq: str
    season_length: int
    horizon: int
    name: str = ""
    version: str = ""
    run_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def save_model_dir(model: Any, directory: Path, manifest: ModelManifest) -> None:
    """Save a fitted forecaster and its manifest into `directory` (created if missing)."""
    classes = _classes()
    if type(model).__name__ not in classes:
        raise TypeError(f"cannot package {type(model).__name__}; expected one of {list(classes)}")
    directory.mkdir(parents=True, exist_ok=True)
    model.save(directory / FORECASTER_DIR)
    write_manifest(directory, manifest)


def write_manifest(directory: Path, manifest: ModelManifest) -> None:
    (directory / MANIFEST_NAME).write_text(json.dumps(asdict(manifest), indent=2))


def read_manifest(directory: Path) -> ModelManifest:
    path = directory / MANIFEST_NAME
    if not path.exists():
        raise FileNotFoundError(f"{directory} is not a Quantis model directory: no {MANIFEST_NAME}")
    return ModelManifest(**json.loads(path.read_text()))


def load_model_dir(directory: Path) -> tuple[Any, ModelManifest]:
    """The fitted forecaster in `directory` and its manifest."""
    manifest = read_manifest(directory)
    cls = _classes().get(manifest.model_class)
    if cls is None:
        raise ValueError(f"{directory}: unknown model class {manifest.model_class!r}")
    return cls.load(directory / FORECASTER_DIR), manifest


def fresh_copy(model: Any, *, n_jobs: int = 1) -> Any:
    """An unfitted forecaster of the same class and configuration (for backtests); a combined
    model's statistical members estimate with `n_jobs` worker processes."""
    config = ForecasterConfig.from_dict(model.config.to_dict())
    combined = _classes()["CombinedForecaster"]
    if isinstance(model, combined):
        return combined(config, n_jobs=n_jobs)
    return type(model)(config)
