"""The Quantis model server: a thin BentoML service over the forecasting library.

Which model it serves is decided once at start by `bentos.model_source`: a model folder
(`QUANTIS_MODEL_DIR`), a registered version on the mounted model volume (settings
`model_artifacts_dir` + `served_model_version`), or the model baked into the Bento (tag from
`QUANTIS_BENTO_MODEL`, default the latest `quantis-forecaster`). The setting
`model_server_gpu` (the -gpu image sets it) makes the service declare one GPU in its
resources; `QUANTIS_MODEL_SERVER_MAX_BATCH_SERIES` caps adaptive batching (default 1024 series).

Routes: `POST /forecast`, `POST /model_info`, and BentoML's `/healthz`, `/readyz`, `/livez`,
`/metrics`. Every forecast answer carries `X-Quantis-Model-Name` / `-Version` headers and
echoes the caller's `X-Request-ID`.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import bentoml

from bentos.batching import ForecastBatcher
from bentos.inference import ForecastInputError
from bentos.metrics import server_metrics
from bentos.model_source import MODEL_DIR_VARIABLE, ModelSourceError, choose_model_source
from bentos.schemas import (
    MAX_HISTORY,
    MAX_HORIZON,
    MAX_LEVELS,
    MAX_SERIES,
    ModelInfo,
    SeriesForecast,
    SeriesHistory,
)
from core.settings import get_settings

MODEL_TAG = os.environ.get("QUANTIS_BENTO_MODEL", "quantis-forecaster:latest")
SETTINGS = get_settings()
# Raises ModelSourceError (the server does not start) when the settings name a missing version.
MODEL_SOURCE = choose_model_source(SETTINGS, os.environ.get(MODEL_DIR_VARIABLE))
GPU_VARIANT = SETTINGS.model_server_gpu
REQUEST_ID_HEADER = "X-Request-ID"
# Series predicted in one model call at most; more requests wait for the next call. Models
# whose cost grows per series (statistical members refit on each history) gain nothing from
# big batches, only latency: lower it for them (1 turns batching off).
MAX_BATCH_SERIES = int(os.environ.get("QUANTIS_MODEL_SERVER_MAX_BATCH_SERIES", "1024"))

logger = logging.getLogger("bentoml.quantis")  # a child of BentoML's configured logger


class ForecastRejected(bentoml.exceptions.InvalidArgument):
    """A request that is well-formed JSON but cannot be forecast (HTTP 400)."""


def _baked_model() -> bentoml.models.BentoModel | None:
    """The Bento's own model when the source says so and the model store has it (a Bento
    built without a model, as CI builds one, has none)."""
    if MODEL_SOURCE.directory is not None:
        return None
    model = bentoml.models.BentoModel(MODEL_TAG)
    return model if model.stored is not None else None


BAKED_MODEL = _baked_model()


def _resources() -> dict[str, object]:
    return {"cpu": "1", "gpu": 1} if GPU_VARIANT else {"cpu": "1"}


def _check_limits(series: list[SeriesHistory], horizon: int, levels: list[int]) -> None:
    if not 1 <= horizon <= MAX_HORIZON:
        raise ForecastRejected(f"horizon must be between 1 and {MAX_HORIZON}, got {horizon}")
    if not 1 <= len(series) <= MAX_SERIES:
        raise ForecastRejected(f"send between 1 and {MAX_SERIES} series, got {len(series)}")
    if len(levels) > MAX_LEVELS:
        raise ForecastRejected(f"send at most {MAX_LEVELS} interval levels, got {len(levels)}")
    bad_levels = [lv for lv in levels if not 0 < lv < 100]
    if bad_levels:
        raise ForecastRejected(f"interval levels must be in (0, 100); got {bad_levels}")


@bentoml.service(name="quantis-model-server", traffic={"timeout": 60}, resources=_resources())
class ModelServer:
    if BAKED_MODEL is not None:
        bento_model = BAKED_MODEL

    def __init__(self) -> None:
        from models.artifact import load_model_dir

        directory = MODEL_SOURCE.directory
        if directory is None:
            if BAKED_MODEL is None:
                raise ModelSourceError(
                    f"no model to serve: no BentoML model {MODEL_TAG} is baked in; set "
                    "QUANTIS_SERVED_MODEL_VERSION and QUANTIS_MODEL_ARTIFACTS_DIR"
                )
            directory = Path(self.bento_model.path)
        self.forecaster, self.manifest = load_model_dir(directory)
        self.labels = {"model_name": self.manifest.name, "model_version": self.manifest.version}
        self.metrics = server_metrics()
        self.metrics.model_info.labels(**self.labels).set(1)
        self.batcher = ForecastBatcher(
            self.forecaster, max_series=MAX_BATCH_SERIES, on_batch=self._observe_batch
        )
        logger.info("serving model %s version %s", self.manifest.name, self.manifest.version)

    def _observe_batch(self, requests: int, series: int) -> None:
        self.metrics.batch_requests.labels(**self.labels).observe(requests)
        self.metrics.batch_series.labels(**self.labels).observe(series)

    @bentoml.api
    async def forecast(
        self,
        series: list[SeriesHistory],
        ctx: bentoml.Context,
        horizon: int = 12,
        levels: list[int] | None = None,
    ) -> list[SeriesForecast]:
        """Forecast `horizon` steps for each series from the history sent with it.

        Limits: at most `MAX_SERIES` series, `MAX_HORIZON` steps, `MAX_HISTORY` points per
        series and `MAX_LEVELS` levels, each in (0, 100). Breaking one, or sending histories
        the model cannot use (irregular spacing, too short, duplicate ids), gives HTTP 400.
        `ctx` is BentoML's request context, not part of the JSON body.
        """
        started = time.perf_counter()
        levels = [80, 95] if levels is None else levels
        request_id = ctx.request.headers.get(REQUEST_ID_HEADER, "")
        ctx.response.headers[REQUEST_ID_HEADER] = request_id
        ctx.response.headers["X-Quantis-Model-Name"] = self.manifest.name
        ctx.response.headers["X-Quantis-Model-Version"] = self.manifest.version
        outcome = "error"
        try:
            _check_limits(series, horizon, levels)
            answer = await self.batcher.submit(series, horizon, levels)
            outcome = "ok"
            return answer
        except ForecastInputError as exc:
            outcome = "rejected"
            raise ForecastRejected(str(exc)) from exc
        except ForecastRejected:
            outcome = "rejected"
            raise
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(**self.labels, outcome=outcome).inc()
            self.metrics.latency.labels(**self.labels).observe(elapsed)
            logger.info(
                "forecast request_id=%s series=%d horizon=%d outcome=%s seconds=%.4f",
                request_id or "-", len(series), horizon, outcome, elapsed,
            )  # fmt: skip

    @bentoml.api
    def model_info(self) -> ModelInfo:
        """The registered model name and version this server serves."""
        m = self.manifest
        return ModelInfo(
            name=m.name,
            version=m.version,
            source=MODEL_SOURCE.description
            if MODEL_SOURCE.directory is not None
            else str(self.bento_model.tag),
            freq=m.freq,
            season_length=m.season_length,
            horizon=m.horizon,
            limits={
                "max_series": MAX_SERIES,
                "max_horizon": MAX_HORIZON,
                "max_history": MAX_HISTORY,
                "max_levels": MAX_LEVELS,
            },
        )
