"""`/api/v1/pipeline`: latest Dagster runs, asset health, schedules, and a retraining trigger
(admin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, status

from api.auth import Caller
from api.deps import Admin, Reader, SessionDep, StateDep
from api.errors import ApiError
from api.pipeline import PipelineError, PipelineUnavailableError
from api.routes import API_PREFIX
from api.schemas.common import Text, errors
from api.schemas.datasets import DatasetQuery, RunsDatasetQuery
from api.schemas.pipeline import (
    AssetHealthPublic,
    PipelineRun,
    PipelineSchedule,
    RetrainLaunched,
)
from api.visibility import visible_dataset
from core.datasets import DEFAULT_DATASET
from core.run_tags import DATASET_TAG

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/pipeline", tags=["pipeline"])
T = TypeVar("T")


def _ask_dagster(call: Callable[[], T]) -> T:
    try:
        return call()
    except PipelineUnavailableError as error:
        raise ApiError(503, "pipeline_unavailable", str(error)) from error
    except PipelineError as error:
        raise ApiError(502, "pipeline_error", str(error)) from error


@router.get("/runs", response_model=list[PipelineRun], responses=errors(404, 502, 503))
def latest_runs(
    state: StateDep,
    session: SessionDep,
    caller: Reader,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    job: Annotated[
        Text | None,
        Query(min_length=1, max_length=255, description="Only runs of this Dagster job."),
    ] = None,
    dataset: RunsDatasetQuery = None,
) -> list[PipelineRun]:
    """The newest Dagster runs first; `job` keeps one job's runs (none for an unknown job),
    `dataset` one dataset's runs and the platform's own (runs without a `quantis/dataset`
    tag). A key limited to datasets gets no run of another dataset, so it may get fewer than
    `limit` (as with `dataset`); a dataset it may not see, or that does not exist, answers
    404."""
    if dataset is not None:
        visible_dataset(session, caller, dataset)
        session.commit()  # end the read transaction before the call to Dagster
    runs = _ask_dagster(lambda: state.pipeline.latest_runs(limit, job))
    return [
        PipelineRun(**run) for run in runs if _shown(run["tags"].get(DATASET_TAG), caller, dataset)
    ]


def _shown(run_dataset: str | None, caller: Caller, dataset: str | None) -> bool:
    """A run of no dataset is the platform's (shown to all); one of a dataset only to keys
    that see it, and only when no other dataset was asked for."""
    if run_dataset is None:
        return True
    return caller.sees(run_dataset) and dataset in (None, run_dataset)


@router.get("/assets", response_model=list[AssetHealthPublic], responses=errors(502, 503))
def asset_health(state: StateDep, _caller: Reader) -> list[AssetHealthPublic]:
    """Every asset with its last materialization and Dagster's health status."""
    return [AssetHealthPublic(**asset) for asset in _ask_dagster(state.pipeline.asset_health)]


@router.get("/schedules", response_model=list[PipelineSchedule], responses=errors(502, 503))
def schedules(state: StateDep, _caller: Reader) -> list[PipelineSchedule]:
    """The pipeline's schedules: cron, job, RUNNING or STOPPED, and the next tick."""
    location = state.options.dagster_location
    return [PipelineSchedule(**s) for s in _ask_dagster(lambda: state.pipeline.schedules(location))]


@router.post(
    "/retrain",
    response_model=RetrainLaunched,
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(404, 502, 503),
)
def retrain(
    state: StateDep,
    session: SessionDep,
    caller: Admin,
    dataset: DatasetQuery = DEFAULT_DATASET,
) -> RetrainLaunched:
    """Launch the retraining job (train, backtest, register, package, roll out) on one
    dataset's partition (`default` unless named); a dataset that does not exist answers 404."""
    name = visible_dataset(session, caller, dataset).name
    session.commit()  # end the read transaction before the call to Dagster
    options = state.options
    launched = _ask_dagster(
        lambda: state.pipeline.launch_job(
            options.retrain_job, options.dagster_location, dataset=name
        )
    )
    launched = {**launched, "dataset": name}
    caller.audit(session, "pipeline.retrain", f"dagster:{launched['run_id']}", launched)
    session.commit()
    return RetrainLaunched(**launched)
