"""The Quantis model server: a thin BentoML service over the forecasting library.

The model comes from the Bento's own model store (tag from `QUANTIS_BENTO_MODEL`, default the
latest `quantis-forecaster`) or, when `QUANTIS_MODEL_DIR` is set, from a model directory
mounted as a volume. It is loaded once at start.
"""

from __future__ import annotations

import os
from pathlib import Path

import bentoml

from bentos.inference import ForecastInputError, forecast_histories
from bentos.schemas import MAX_HORIZON, MAX_SERIES, ModelInfo, SeriesForecast, SeriesHistory

MODEL_TAG = os.environ.get("QUANTIS_BENTO_MODEL", "quantis-forecaster:latest")
MODEL_DIR = os.environ.get("QUANTIS_MODEL_DIR")


class ForecastRejected(bentoml.exceptions.InvalidArgument):
    """A request that is well-formed JSON but cannot be forecast (HTTP 400)."""


@bentoml.service(name="quantis-model-server", traffic={"timeout": 60})
class ModelServer:
    if not MODEL_DIR:
        bento_model = bentoml.models.BentoModel(MODEL_TAG)

    def __init__(self) -> None:
        from models.artifact import load_model_dir

        directory = Path(MODEL_DIR) if MODEL_DIR else Path(self.bento_model.path)
        self.forecaster, self.manifest = load_model_dir(directory)

    @bentoml.api
    def forecast(
        self, series: list[SeriesHistory], horizon: int = 12, levels: list[int] | None = None
    ) -> list[SeriesForecast]:
        """Forecast `horizon` steps for each series from the history sent with it."""
        levels = [80, 95] if levels is None else levels
        if not 1 <= horizon <= MAX_HORIZON:
            raise ForecastRejected(f"horizon must be between 1 and {MAX_HORIZON}, got {horizon}")
        if not 1 <= len(series) <= MAX_SERIES:
            raise ForecastRejected(f"send between 1 and {MAX_SERIES} series, got {len(series)}")
        bad_levels = [lv for lv in levels if not 0 < lv < 100]
        if bad_levels:
            raise ForecastRejected(f"interval levels must be in (0, 100); got {bad_levels}")
        try:
            return forecast_histories(self.forecaster, series, horizon, levels)
        except ForecastInputError as exc:
            raise ForecastRejected(str(exc)) from exc

    @bentoml.api
    def model_info(self) -> ModelInfo:
        """The registered model name and version this server serves."""
        m = self.manifest
        return ModelInfo(
            name=m.name,
            version=m.version,
            source=MODEL_DIR or str(self.bento_model.tag),
            freq=m.freq,
            season_length=m.season_length,
        )
