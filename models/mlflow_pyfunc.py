"""The MLflow `python_function` flavor of a Quantis model.

Logged models load back with `mlflow.pyfunc.load_model(uri)`; `predict` takes a long-format
history frame (`unique_id`, `ds`, `y`) and params `horizon` and `levels`.

A model trained with covariates takes their columns in the same frame (MLflow's params carry
scalars and lists only, so the future values travel as rows): one column per static and
known-in-advance covariate, and, after each series' last observation, **rows without `y`**
holding the known-in-advance values of the forecast dates (a null `unique_id`: for every
series). Those rows are the `future` of `predict`; a horizon date without them is refused
with `MissingFutureCovariatesError` naming the series, covariate and dates. A model without
covariates takes the frame as it did before (a row without `y` is an error there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

from models.artifact import load_model_dir

__all__ = ["ARTIFACT_KEY", "QuantisPythonModel", "split_future"]

ARTIFACT_KEY = "model_dir"


def split_future(
    model_input: pd.DataFrame, columns: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history: the rows with `y`, future: the rows without, as `unique_id`, `ds` and the
    known-in-advance `columns` the model forecasts with)."""
    if "y" not in model_input.columns:  # not a history: the model names what it lacks
        return model_input, model_input.iloc[:0]
    unvalued = model_input["y"].isna()
    future = model_input.loc[unvalued]
    keys = [c for c in ("unique_id", "ds") if c in future.columns]
    return model_input.loc[~unvalued], future[[*keys, *(c for c in columns if c in future)]]


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
        if not self.forecaster.config.covariates:
            return self.forecaster.predict(horizon, levels=levels, history=model_input)
        history, future = split_future(model_input, self.forecaster.future_columns())
        return self.forecaster.predict(horizon, levels=levels, history=history, future=future)
