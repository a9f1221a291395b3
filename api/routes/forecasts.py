"""Forecasts: request (history from the database -> model server -> stored), read back.

A key limited to datasets forecasts and reads only their series' forecasts (others: 404)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from api.deps import Reader, SessionDep, StateDep, Writer
from api.errors import ApiError
from api.forecast_covariates import with_covariates
from api.forecasting import forecast_public, model_server_call, read_histories, run_forecast
from api.routes import API_PREFIX
from api.routes.series import find_series
from api.schemas.common import MAX_RECORD_ID, Page, RecordId, errors
from api.schemas.explanations import ExplanationPointPublic, SeriesExplanationPublic
from api.schemas.forecasts import (
    MAX_HISTORY_POINTS,
    MAX_HORIZON,
    ForecastBatch,
    ForecastCreate,
    ForecastPublic,
)
from api.visibility import check_series_visible, hidden_series
from core.db.repositories.datasets import dataset_config, find_dataset
from core.db.repositories.forecasts import get_forecast, latest_forecast, list_forecasts
from core.db.repositories.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX, tags=["forecasts"])


@router.post(
    "/forecasts",
    response_model=ForecastBatch,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 404, 422, 503),
)
def create(
    body: ForecastCreate, session: SessionDep, state: StateDep, caller: Writer
) -> ForecastBatch:
    """Forecast the named series from their recent history in the database.

    The series' dataset's champion forecasts them (all the series must be of one dataset:
    422 `mixed_datasets` otherwise). The forecasts are stored with the model name and version
    that made them. 503 when the model server is down or serves no champion of the dataset
    yet (`dataset_not_served`); 422 when the model cannot use a series' history.

    A dataset with covariates forecasts with each series' stored values: over its history,
    static, and for the horizon's dates (`future` values sent in the body take the place of
    stored ones). A horizon date without a value is a 422 `missing_future_covariates` whose
    `details.missing` name each series (id and name), covariate and the dates; nothing is
    filled in.
    """
    check_series_visible(session, caller, body.series_ids)
    return run_forecast(
        session,
        state.model_server,
        state.metrics,
        caller,
        body,
        history_points=state.options.history_points,
    )


@router.get("/forecasts/{forecast_id}", response_model=ForecastPublic, responses=errors(404))
def get_one(forecast_id: RecordId, session: SessionDep, caller: Reader) -> ForecastPublic:
    forecast = get_forecast(session, forecast_id)
    if forecast is None or hidden_series(session, caller, [forecast.series_id]):
        raise ApiError(404, "not_found", f"forecast id {forecast_id} does not exist")
    return forecast_public(forecast)


@router.get(
    "/series/{series_id}/forecasts/latest",
    response_model=ForecastPublic,
    responses=errors(404),
)
def latest_for_series(
    series_id: RecordId,
    session: SessionDep,
    caller: Reader,
    kind: Annotated[
        Literal["request", "batch"] | None,
        Query(description="batch: the latest batch forecast; request: the latest on request."),
    ] = None,
) -> ForecastPublic:
    """The newest stored forecast of one series (of one kind, or of any), straight from the
    database: no model call. 404 when the series has none."""
    find_series(session, caller, series_id)
    forecast = latest_forecast(session, series_id, kind=kind)
    if forecast is None:
        what = f"{kind} forecast" if kind else "forecast"
        raise ApiError(404, "not_found", f"series id {series_id} has no {what} yet")
    return forecast_public(forecast)


@router.get(
    "/series/{series_id}/forecasts",
    response_model=Page[ForecastPublic],
    responses=errors(404),
)
def list_for_series(
    series_id: RecordId,
    session: SessionDep,
    caller: Reader,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=MAX_RECORD_ID)] = 0,
) -> Page[ForecastPublic]:
    """Stored forecasts of one series, newest first."""
    find_series(session, caller, series_id)
    page = list_forecasts(session, series_id=series_id, limit=limit, offset=offset)
    items = [forecast_public(f) for f in page.items]
    return Page(items=items, total=page.total, limit=limit, offset=offset)


@router.get(
    "/series/{series_id}/explanation",
    response_model=SeriesExplanationPublic,
    responses=errors(404, 422, 503),
)
def explain_series(
    series_id: RecordId,
    session: SessionDep,
    state: StateDep,
    caller: Reader,
    horizon: Annotated[
        int | None,
        Query(ge=1, le=MAX_HORIZON, description="Steps ahead; default: the dataset's horizon."),
    ] = None,
    history: Annotated[
        int | None,
        Query(ge=1, le=MAX_HISTORY_POINTS, description="Most recent observations sent."),
    ] = None,
) -> SeriesExplanationPublic:
    """What drives the series' forecast: each step of its dataset's champion's LightGBM member
    taken apart by feature group (LightGBM's `pred_contrib`), computed now from the series'
    recent history and, for a dataset with covariates, their stored values (the horizon's
    too: 422 `missing_future_covariates` when a date lacks one); nothing is stored. 404
    (`dataset_not_served`) while the dataset has no champion served; 503 when the model
    server is down; 422 when the champion has no LightGBM member or cannot use the history."""
    find_series(session, caller, series_id)
    dataset, histories = read_histories(
        session, [series_id], history or state.options.history_points
    )
    found = find_dataset(session, dataset)
    config = dataset_config(found)
    steps = horizon or config.effective_horizon
    histories = with_covariates(session, found, config.covariates, [series_id], histories, steps)
    session.commit()  # no transaction held during the model call
    try:
        answer = model_server_call(
            state.metrics,
            dataset,
            lambda: state.model_server.explain(histories, steps, caller.request_id, dataset),
        )
    except ApiError as error:
        if error.code != "dataset_not_served":
            raise
        # No champion yet: there is no explanation to read, as there is no latest forecast
        # before the first one (a 404, like `/forecasts/latest`).
        raise ApiError(404, "dataset_not_served", error.message) from error
    [explained] = answer.series
    return SeriesExplanationPublic(
        series_id=series_id,
        dataset=dataset,
        model_name=answer.model_name,
        model_version=answer.model_version,
        horizon=steps,
        points=[ExplanationPointPublic(**point) for point in explained["points"]],
    )
