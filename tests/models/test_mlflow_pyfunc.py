"""The MLflow flavor: a model trained with covariates takes its future values as rows without
`y` in the input frame (a null `unique_id`: for every series); a model without covariates
takes the frame as before."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from models.artifact import ModelManifest, save_model_dir
from models.covariates import MissingFutureCovariatesError
from models.datasets import retail_panel
from models.forecaster import LightGBMForecaster
from models.mlflow_pyfunc import ARTIFACT_KEY, QuantisPythonModel

H = 7


def _served(tmp_path, covariates) -> tuple[QuantisPythonModel, LightGBMForecaster]:
    panel = retail_panel(n_series=3, length=84, seed=1).panel
    model = LightGBMForecaster.from_defaults(
        "D", 7, H, num_boost_round=10, interval_windows=0, covariates=covariates
    ).fit(panel if covariates else panel[["unique_id", "ds", "y"]])
    save_model_dir(model, tmp_path, ModelManifest(type(model).__name__, "D", 7, H))
    served = QuantisPythonModel()
    served.load_context(SimpleNamespace(artifacts={ARTIFACT_KEY: str(tmp_path)}))
    return served, model


def _future(history: pd.DataFrame, promo: float) -> pd.DataFrame:
    dates = pd.date_range(history["ds"].max(), periods=H + 1, freq="D")[1:]
    return pd.DataFrame({"unique_id": None, "ds": dates, "promo": promo, "price": 3.0})


def test_rows_without_y_are_the_future_values(tmp_path):
    covariates = ({"name": "promo", "type": "boolean"}, {"name": "price"})
    served, model = _served(tmp_path, covariates)
    history = retail_panel(n_series=3, length=84, seed=1).panel.drop(columns="region")
    history = history[history["unique_id"] == "p001"]

    off = served.predict(None, pd.concat([history, _future(history, 0.0)], ignore_index=True))
    expected = model.predict(H, history=history, future=_future(history, 0.0))
    np.testing.assert_allclose(off["yhat"], expected["yhat"])
    on = served.predict(None, pd.concat([history, _future(history, 1.0)], ignore_index=True))
    assert not np.allclose(on["yhat"], off["yhat"])
    with pytest.raises(MissingFutureCovariatesError, match="'p001'"):
        served.predict(None, pd.concat([history, _future(history, 0.0).iloc[:-2]]))


def test_a_model_without_covariates_takes_the_history_as_before(tmp_path):
    served, model = _served(tmp_path, ())
    history = retail_panel(n_series=3, length=84, seed=1).panel[["unique_id", "ds", "y"]]
    got = served.predict(None, history, params={"horizon": 3})
    pd.testing.assert_frame_equal(got, model.predict(3, history=history))
