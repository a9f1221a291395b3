"""The MLflow `python_function` flavor of a Quantis model.

Logged models load back with `mlflow.pyfunc.load_model(uri)`; `predict` takes a long-format
history frame (`unique_id`, `ds`, `y`) and params `horizon` and `levels`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

from models.artifact import load_model_dir

__all__ = ["ARTIFACT_KEY", "QuantisPythonModel"]

ARTIFACT_KEY = "model_dir"


class QuantisPythonModel(mlflow.pyfunc.PythonModel):
    """Forecasts from the history it is given, with the packaged forecaster."""

    def load_context(self, context: Any) -> None:
        self.model_dir = Path(context.artifacts[ARTIFACT_KEY])
        self.forecaster, self.manifest = load_model_dir(self.model_dir)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        params = params or {}
        horizon = int(params.get("horizon", self.manifest.horizon))
        levels = params.get("levels") or None
        return self.forecaster.predict(horizon, levels=levels, history=model_input)
