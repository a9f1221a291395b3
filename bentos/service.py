"""The Quantis model server: a thin BentoML service over the forecasting library.

Nothing is read when this module is imported: each worker decides at start which model it
serves, with `bentos.model_source`: a model folder (`QUANTIS_MODEL_DIR`), a registered version
on the mounted model volume (settings `model_artifacts_dir` + `served_model_version`), or a
model in BentoML's model store (tag from `QUANTIS_BENTO_MODEL`, default the latest
`quantis-forecaster`: inside a Bento the one model it was built with, see
`orchestration/defs/serving/bento_build.py`). `QUANTIS_MODEL_SERVER_MAX_BATCH_SERIES` caps
adaptive batching (default 1024 series). The GPU the -gpu image declares comes from the
setting `model_server_gpu` through `python -m bentos.serve` (BentoML's configuration), not
from this module.

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
from bentos.model_source import (
    MODEL_DIR_VARIABLE,
    ModelSource,
    ModelSourceError,
    choose_model_source,
)
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

SERVICE_NAME = "quantis-model-server"
MODEL_TAG_VARIABLE = "QUANTIS_BENTO_MODEL"
DEFAULT_MODEL_TAG = "quantis-forecaster:latest"
MAX_BATCH_VARIABLE = "QUANTIS_MODEL_SERVER_MAX_BATCH_SERIES"
REQUEST_ID_HEADER = "X-Request-ID"

logger = logging.getLogger("bentoml.quantis")  # a child of BentoML's configured logger


class ForecastRejected(bentoml.exceptions.InvalidArgument):
    """A request that is well-formed JSON but cannot be forecast (HTTP 400)."""


def max_batch_series() -> int:
    """Series predicted in one model call at most; more requests wait for the next call.
    Models whose cost grows per series (statistical members refit on each history) gain
    nothing from big batches, only latency: lower it for them (1 turns batching off)."""
    return int(os.environ.get(MAX_BATCH_VARIABLE, "1024"))


def stored_model(tag: str) -> bentoml.Model:
    """The BentoML model `tag` from the model store (the Bento's own inside a Bento)."""
    try:
        return bentoml.models.get(tag)
    except bentoml.exceptions.NotFound as error:
        raise ModelSourceError(
            f"no model to serve: no BentoML model {tag} in the model store (a Bento built "
            "without a model has none); set QUANTIS_SERVED_MODEL_VERSION and "
            "QUANTIS_MODEL_ARTIFACTS_DIR"
        ) from error


def model_to_serve() -> tuple[Path, str]:
    """The folder of the model this worker serves and where it came from, from this
    process's settings and environment (see the module docstring). Raises
    `ModelSourceError` (the server does not start) when they name a missing model."""
    source: ModelSource = choose_model_source(get_settings(), os.environ.get(MODEL_DIR_VARIABLE))
    if source.directory is not None:
        return source.directory, source.description
    model = stored_model(os.environ.get(MODEL_TAG_VARIABLE) or DEFAULT_MODEL_TAG)
    return Path(model.path), str(model.tag)


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


@bentoml.service(name=SERVICE_NAME, traffic={"timeout": 60}, resources={"cpu": "1"})
class ModelServer:
    def __init__(self) -> None:
        from models.artifact import load_model_dir

        directory, self.source = model_to_serve()
        self.forecaster, self.manifest = load_model_dir(directory)
        self.labels = {"model_name": self.manifest.name, "model_version": self.manifest.version}
        self.metrics = server_metrics()
        self.metrics.model_info.labels(**self.labels).set(1)
        self.batcher = ForecastBatcher(
            self.forecaster, max_series=max_batch_series(), on_batch=self._observe_batch
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
            source=self.source,
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
