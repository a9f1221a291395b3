"""The drill's proof that a restored MLflow store serves: the champion loads and forecasts."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

from core.backup import VerificationError
from core.backup.drill import ChampionCheck
from core.mlflow_names import registered_model_name
from core.registry import ModelRegistry
from models.artifact import MANIFEST_NAME, load_model_dir

__all__ = ["champion_check"]


def _as_uri(location: str) -> str:
    return location if "://" in location else Path(location).resolve().as_uri()


def champion_check(base_model_name: str) -> ChampionCheck:
    """A check for `core.backup.run_drill` on each dataset's registered model (`default`'s is
    `base_model_name`, the installation's; see `core.mlflow_names.registered_model_name`).

    No champion in the restored store is reported, not failed: the table checksums already
    prove the store equals the backed-up one, so there was none to restore.
    """

    def check(tracking_uri: str, artifact_root: str, dataset: str) -> dict[str, Any]:
        import mlflow

        model_name = registered_model_name(base_model_name, dataset)
        # No `models:/` URI and no process-wide MLflow setting: MLflow resolves those through
        # the global registry URI, which could be the live registry instead of the restored one.
        registry = ModelRegistry(tracking_uri, model_name, registry_uri=tracking_uri)
        champion = registry.champion()
        if champion is None:
            return {"champion_version": "none", "forecast_rows": 0}
        with tempfile.TemporaryDirectory(prefix="quantis-drill-model-") as folder:
            location = registry.client.get_model_version_download_uri(model_name, champion.version)
            if not location.startswith(_as_uri(artifact_root).rstrip("/") + "/"):
                raise VerificationError(
                    f"restored champion version {champion.version} points at {location}, "
                    f"outside the restored artifact root {artifact_root}"
                )
            mlflow.artifacts.download_artifacts(artifact_uri=location, dst_path=folder)
            manifests = list(Path(folder).rglob(MANIFEST_NAME))
            if not manifests:
                raise VerificationError(
                    f"champion version {champion.version} restored from {artifact_root} "
                    f"holds no {MANIFEST_NAME}"
                )
            model, manifest = load_model_dir(manifests[0].parent)
            forecast = model.predict(manifest.horizon)
        values = forecast["yhat"].tolist()
        if not values or not all(math.isfinite(value) for value in values):
            raise VerificationError(
                f"champion version {champion.version} restored but its forecast is empty or "
                "not finite"
            )
        return {
            "champion_version": champion.version,
            "model_class": manifest.model_class,
            "forecast_rows": len(values),
            "forecast_series": int(forecast["unique_id"].nunique()),
        }

    return check
