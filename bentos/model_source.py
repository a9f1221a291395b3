"""Which model the model server loads, decided once from the settings before it starts.

In order:
1. `QUANTIS_MODEL_DIR`: one model folder (`quantis serve model --model-dir`, tests, benchmarks).
2. `served_model_version` set: `<model_artifacts_dir>/<registered_model_name>/<version>/`, the
   mounted volume that `python -m bentos.fetch_model` (the init container) fills from MLflow.
   A version that is not there is an error that says what to do, never a silent fallback:
   the roll-out asked for that version.
3. Otherwise the model baked into the Bento (the pipeline's Bento, or none: then the server
   refuses to start and says which settings to give).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings
from models.artifact import MANIFEST_NAME
from models.registered_versions import UnsafeFolderName
from models.registered_versions import version_dir as _version_dir

__all__ = [
    "MODEL_DIR_VARIABLE",
    "ModelSource",
    "ModelSourceError",
    "choose_model_source",
    "version_dir",
]

MODEL_DIR_VARIABLE = "QUANTIS_MODEL_DIR"


class ModelSourceError(RuntimeError):
    """The settings name a model the server cannot load; the message says what to change."""


@dataclass(frozen=True)
class ModelSource:
    """A model folder to load, or `None` for the model baked into the Bento."""

    directory: Path | None
    description: str


def version_dir(artifacts_dir: Path, model_name: str, version: str) -> Path:
    """`<artifacts_dir>/<model_name>/<version>`, refusing names that are not plain folder names
    (`ModelSourceError`)."""
    try:
        return _version_dir(artifacts_dir, model_name, version)
    except UnsafeFolderName as error:
        raise ModelSourceError(str(error)) from error


def _present_versions(model_root: Path) -> list[str]:
    if not model_root.is_dir():
        return []
    return sorted(p.name for p in model_root.iterdir() if (p / MANIFEST_NAME).is_file())


def choose_model_source(settings: Settings, explicit_dir: str | None = None) -> ModelSource:
    """Where the model comes from (see the module docstring); raises `ModelSourceError`."""
    if explicit_dir:
        return ModelSource(Path(explicit_dir), explicit_dir)
    version = settings.served_model_version
    if not version:
        return ModelSource(None, "bento")
    if settings.model_artifacts_dir is None:
        raise ModelSourceError(
            f"served_model_version={version} is set but model_artifacts_dir is not: set "
            "QUANTIS_MODEL_ARTIFACTS_DIR to the mounted model volume, or unset "
            "QUANTIS_SERVED_MODEL_VERSION to serve the model baked into the Bento"
        )
    name = settings.registered_model_name
    target = version_dir(settings.model_artifacts_dir, name, version)
    if not (target / MANIFEST_NAME).is_file():
        present = _present_versions(target.parent) or ["none"]
        raise ModelSourceError(
            f"model_artifacts_dir {settings.model_artifacts_dir} has no version {version} of "
            f"{name}: expected {target}/{MANIFEST_NAME}. Fetch it first with "
            f"`python -m bentos.fetch_model` (the init container does), or set "
            f"QUANTIS_SERVED_MODEL_VERSION to a version that is there ({', '.join(present)})"
        )
    return ModelSource(target, str(target))
