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

One process serves every dataset's champion (`bentos.served_models`): the model above is the
`default` dataset's; each dataset in the setting `served_dataset_versions` is loaded from the
model artifacts volume, and `POST /load_model` swaps one dataset's model while the others keep
answering. A request names its dataset (`dataset`, default `default`); one that is not served
is a 404 that names the served ones.

Routes: `POST /forecast`, `POST /explain`, `POST /model_info`, `POST /served_models`, `POST /load_model`, and
BentoML's `/healthz`, `/readyz`, `/livez`, `/metrics`. Every forecast answer carries
`X-Quantis-Model-Name` / `-Version` / `X-Quantis-Dataset` headers and echoes the caller's
`X-Request-ID`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

import bentoml

from bentos.batching import ForecastBatcher
from bentos.inference import ExplanationUnavailableError, ForecastInputError, explain_histories
from bentos.metrics import server_metrics
from bentos.model_source import (
    MODEL_DIR_VARIABLE,
    ModelSource,
    ModelSourceError,
    choose_model_source,
)
from bentos.schemas import (
    MAX_COVARIATES,
    MAX_HISTORY,
    MAX_HORIZON,
    MAX_LEVELS,
    MAX_SERIES,
    ModelInfo,
    SeriesExplanation,
    SeriesForecast,
    SeriesHistory,
)
from bentos.served_models import (
    DatasetNotServedError,
    ServedModel,
    ServedModels,
    dataset_model_dir,
    initial_datasets,
)
from core.datasets import DEFAULT_DATASET
from core.settings import get_settings

SERVICE_NAME = "quantis-model-server"
MODEL_TAG_VARIABLE = "QUANTIS_BENTO_MODEL"
DEFAULT_MODEL_TAG = "quantis-forecaster:latest"
MAX_BATCH_VARIABLE = "QUANTIS_MODEL_SERVER_MAX_BATCH_SERIES"
REQUEST_ID_HEADER = "X-Request-ID"

logger = logging.getLogger("bentoml.quantis")  # a child of BentoML's configured logger


class ForecastRejected(bentoml.exceptions.InvalidArgument):
    """A request that is well-formed JSON but cannot be forecast (HTTP 400)."""


class DatasetNotServed(bentoml.exceptions.NotFound):
    """The request names a dataset this server serves no model for (HTTP 404)."""


class ModelNotLoadable(bentoml.exceptions.NotFound):
    """`/load_model` names a version that is not on the model artifacts volume or does not
    load (HTTP 404); the dataset's served model is unchanged."""


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

        settings = get_settings()
        directory, source = model_to_serve()
        self.settings = settings
        self.metrics = server_metrics()
        self.models = ServedModels(load_model_dir, self._batcher)
        for dataset, (folder, description) in initial_datasets(directory, source, settings).items():
            self._activate(*self.models.load(dataset, folder, description))

    def _batcher(self, forecaster, labels: dict[str, str]) -> ForecastBatcher:
        def observe(requests: int, series: int) -> None:
            self.metrics.batch_requests.labels(**labels).observe(requests)
            self.metrics.batch_series.labels(**labels).observe(series)

        return ForecastBatcher(forecaster, max_series=max_batch_series(), on_batch=observe)

    def _activate(self, served: ServedModel, replaced: ServedModel | None) -> None:
        self.metrics.model_info.labels(**served.labels).set(1)
        if replaced is not None and replaced.labels != served.labels:
            self.metrics.model_info.labels(**replaced.labels).set(0)
        m = served.manifest
        logger.info("serving dataset %s: model %s version %s", served.dataset, m.name, m.version)

    def _served(self, dataset: str) -> ServedModel:
        try:
            return self.models.get(dataset)
        except DatasetNotServedError as error:
            raise DatasetNotServed(str(error)) from error

    @bentoml.api
    async def forecast(
        self,
        series: list[SeriesHistory],
        ctx: bentoml.Context,
        horizon: int = 12,
        levels: list[int] | None = None,
        dataset: str = DEFAULT_DATASET,
    ) -> list[SeriesForecast]:
        """Forecast `horizon` steps for each series from the history sent with it, with the
        champion of `dataset` (404 when this server serves none for it).

        A series of a model trained with covariates carries them: `covariates` (its
        known-in-advance values over `timestamps`), `static` and `future` (their values on
        the horizon's dates); one without them, or a horizon date without a value, is a 400
        naming the series, covariate and dates. A model without covariates ignores them.

        Limits: at most `MAX_SERIES` series, `MAX_HORIZON` steps, `MAX_HISTORY` points per
        series, `MAX_LEVELS` levels, each in (0, 100), and `MAX_COVARIATES` covariates of
        each kind. Breaking one, or sending histories the model cannot use (irregular
        spacing, too short, duplicate ids, covariates missing), gives HTTP 400.
        `ctx` is BentoML's request context, not part of the JSON body.
        """
        started = time.perf_counter()
        levels = [80, 95] if levels is None else levels
        request_id = ctx.request.headers.get(REQUEST_ID_HEADER, "")
        ctx.response.headers[REQUEST_ID_HEADER] = request_id
        served = self._served(dataset)
        ctx.response.headers["X-Quantis-Model-Name"] = served.manifest.name
        ctx.response.headers["X-Quantis-Model-Version"] = served.manifest.version
        ctx.response.headers["X-Quantis-Dataset"] = dataset
        outcome = "error"
        try:
            _check_limits(series, horizon, levels)
            answer = await served.batcher.submit(series, horizon, levels)
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
            self.metrics.requests.labels(**served.labels, outcome=outcome).inc()
            self.metrics.latency.labels(**served.labels).observe(elapsed)
            logger.info(
                "forecast request_id=%s dataset=%s series=%d horizon=%d outcome=%s seconds=%.4f",
                request_id or "-", dataset, len(series), horizon, outcome, elapsed,
            )  # fmt: skip

    @bentoml.api
    async def explain(
        self,
        series: list[SeriesHistory],
        ctx: bentoml.Context,
        horizon: int = 12,
        dataset: str = DEFAULT_DATASET,
    ) -> list[SeriesExplanation]:
        """Each series' forecast by `dataset`'s champion's LightGBM member, taken apart by
        feature group with LightGBM's `pred_contrib` (see `ExplanationPoint`). Covariates and
        limits as in `/forecast`; a model without a LightGBM member, or histories it cannot
        use, give HTTP 400."""
        served = self._served(dataset)
        ctx.response.headers["X-Quantis-Model-Name"] = served.manifest.name
        ctx.response.headers["X-Quantis-Model-Version"] = served.manifest.version
        ctx.response.headers["X-Quantis-Dataset"] = dataset
        _check_limits(series, horizon, [])
        try:
            return await asyncio.to_thread(
                served.batcher.exclusive, explain_histories, series, horizon
            )
        except (ExplanationUnavailableError, ForecastInputError) as exc:
            raise ForecastRejected(str(exc)) from exc

    @bentoml.api
    def model_info(self, dataset: str = DEFAULT_DATASET) -> ModelInfo:
        """The registered model name and version this server serves for `dataset`."""
        return _info(self._served(dataset))

    @bentoml.api
    def served_models(self) -> list[ModelInfo]:
        """Every dataset this server serves, with its model."""
        return [_info(served) for _, served in sorted(self.models.snapshot().items())]

    @bentoml.api
    async def load_model(self, dataset: str, version: str) -> ModelInfo:
        """Serve `dataset`'s registered `version`, already on the model artifacts volume
        (`python -m bentos.fetch_model --dataset ...`): it is loaded in a worker thread while
        every dataset keeps answering, then replaces only `dataset`'s model. 404 when the
        version is not there or does not load (the served model stays). It swaps the model
        of the worker that answers: the server runs one worker (`resources={"cpu": "1"}`);
        the Kubernetes roll-out restarts the pods with the new versions instead."""
        if dataset == DEFAULT_DATASET:
            raise ModelNotLoadable(
                "the `default` dataset's model is chosen when the server starts "
                "(served_model_version or the Bento's model); roll it out to change it"
            )
        try:
            folder = dataset_model_dir(
                self.settings.model_artifacts_dir,
                self.settings.registered_model_name,
                dataset,
                version,
            )
            loaded = await asyncio.to_thread(self.models.load, dataset, folder, str(folder))
        except (ModelSourceError, OSError, ValueError, TypeError) as error:
            raise ModelNotLoadable(f"dataset {dataset!r} version {version}: {error}") from error
        served, replaced = loaded
        self._activate(served, replaced)
        if replaced is not None:
            replaced.batcher.retire()
        return _info(served)


def _info(served: ServedModel) -> ModelInfo:
    m = served.manifest
    return ModelInfo(
        name=m.name,
        version=m.version,
        source=served.source,
        dataset=served.dataset,
        freq=m.freq,
        season_length=m.season_length,
        horizon=m.horizon,
        limits={
            "max_series": MAX_SERIES,
            "max_horizon": MAX_HORIZON,
            "max_history": MAX_HISTORY,
            "max_levels": MAX_LEVELS,
            "max_covariates": MAX_COVARIATES,
        },
    )
