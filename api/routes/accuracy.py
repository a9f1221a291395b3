"""Live accuracy: `/api/v1/models/{version}/accuracy` and `/api/v1/series/{id}/accuracy`.

The figures are what the monitoring asset stored (`live_accuracy` table); the API only reads
and combines them. A version's backtest MASE comes from its MLflow training run. The versions
are a dataset's registered model's (`?dataset=`, `default` unless named; a series': its
dataset's): a key limited to other datasets gets 404 for them, as for series of datasets it
may not see.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Reader, SessionDep, StateDep
from api.errors import ApiError
from api.routes import API_PREFIX
from api.routes.series import find_series
from api.schemas.accuracy import (
    AccuracyFigures,
    DailyAccuracy,
    ForecastOutcome,
    ModelAccuracy,
    SeriesAccuracy,
    SeriesVersionAccuracy,
)
from api.schemas.common import ModelVersionId, RecordId, errors
from api.schemas.datasets import DatasetQuery
from api.visibility import visible_dataset
from core.datasets import DEFAULT_DATASET
from core.db.repositories.live_accuracy import (
    accuracy_rows,
    daily_summaries,
    forecast_points,
    series_summaries,
    version_summary,
)
from core.db.repositories.observations import read_observations
from core.db.tables import Dataset
from core.mlflow_names import METRIC_BACKTEST_MASE, registered_model_name
from core.registry import RegistryError

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX, tags=["accuracy"])
_EVER = (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC))


def _backtest_mase(state, version: str, dataset: str) -> tuple[bool, float | None]:
    try:
        view = state.registry(dataset).version(version)
    except RegistryError:
        return False, None
    return True, view.metrics.get(METRIC_BACKTEST_MASE)


@router.get("/models/{version}/accuracy", response_model=ModelAccuracy, responses=errors(404))
def model_accuracy(
    version: ModelVersionId,
    state: StateDep,
    session: SessionDep,
    caller: Reader,
    dataset: DatasetQuery = DEFAULT_DATASET,
) -> ModelAccuracy:
    """A version's live accuracy (all scored days, and day by day) against its backtest."""
    visible_dataset(session, caller, dataset)  # 404 for one that is unknown or hidden
    name = registered_model_name(state.settings.registered_model_name, dataset)
    summary = version_summary(session, version, model_name=name)
    known, backtest = _backtest_mase(state, version, dataset)
    if not known and summary is None:
        raise ApiError(404, "not_found", f"model version {version!r} is unknown")
    ratio = None
    if summary and summary["mase"] is not None and backtest:
        ratio = summary["mase"] / backtest
    factor = state.settings.accuracy_degradation_factor
    return ModelAccuracy(
        version=version,
        backtest_mase=backtest,
        live=AccuracyFigures(**summary) if summary else None,
        live_to_backtest=ratio,
        degradation_factor=factor,
        degraded=ratio is not None and ratio > factor,
        daily=[DailyAccuracy(**d) for d in daily_summaries(session, version, model_name=name)],
    )


@router.get("/series/{series_id}/accuracy", response_model=SeriesAccuracy, responses=errors(404))
def series_accuracy(
    series_id: RecordId,
    session: SessionDep,
    state: StateDep,
    caller: Reader,
    limit: Annotated[int, Query(ge=1, le=1000, description="Newest outcomes returned.")] = 200,
) -> SeriesAccuracy:
    """Per model version, how its forecasts of this series did, and each point against
    what happened."""
    series = find_series(session, caller, series_id)
    dataset = session.get(Dataset, series.dataset_id).name
    name = registered_model_name(state.settings.registered_model_name, dataset)
    rows = accuracy_rows(session, model_name=name, series_id=series.id)
    versions = [
        SeriesVersionAccuracy(version=version, **figures)
        for (version, _), figures in sorted(series_summaries(rows).items())
    ]
    actual = {o.ts: o.value for o in read_observations(session, series.id)}
    points = forecast_points(
        session, start=_EVER[0], before=_EVER[1], model_name=name, series_id=series.id
    )
    outcomes = [
        ForecastOutcome(
            version=p.model_version,
            ds=p.ds,
            origin=p.origin,
            forecast=p.yhat,
            actual=actual[p.ds],
            error=p.yhat - actual[p.ds],
            lo=p.lo,
            hi=p.hi,
        )
        for p in sorted(points, key=lambda p: (p.ds, p.model_version))
        if p.ds in actual
    ]
    return SeriesAccuracy(
        series_id=series.id, name=series.name, versions=versions, outcomes=outcomes[-limit:]
    )
