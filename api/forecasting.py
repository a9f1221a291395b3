"""A forecast request end to end: history from the database, the model server, storage.

The database session is not held open while the model server works: history is read and
that transaction ended before the call, the forecasts are stored in a new one after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Caller
from api.covariates_input import future_override
from api.errors import ApiError
from api.forecast_covariates import with_covariates
from api.metrics import ApiMetrics
from api.model_server import (
    DatasetNotServedError,
    ModelServerClient,
    ModelServerRejectedError,
    ModelServerUnavailableError,
)
from api.schemas.forecasts import ForecastBatch, ForecastCreate, ForecastPointPublic, ForecastPublic
from core.datasets import DEFAULT_DATASET
from core.db.repositories.datasets import dataset_config, find_dataset
from core.db.repositories.forecasts import save_forecast
from core.db.repositories.observations import recent_values
from core.db.repositories.series import series_names_by_id
from core.db.tables import Dataset, Forecast, Series

__all__ = [
    "ModelForecasts",
    "forecast_public",
    "model_forecasts",
    "model_server_call",
    "read_histories",
    "run_forecast",
]


def forecast_public(forecast: Forecast) -> ForecastPublic:
    """The API view of a stored forecast (`lo`/`hi` in storage are `lower`/`upper` here)."""
    points = [
        ForecastPointPublic(ds=p["ds"], yhat=p["yhat"], lower=p["lo"], upper=p["hi"])
        for p in forecast.payload
    ]
    return ForecastPublic(
        id=forecast.id,
        request_id=forecast.request_id,
        series_id=forecast.series_id,
        model_name=forecast.model_name,
        model_version=forecast.model_version,
        horizon=forecast.horizon,
        levels=forecast.levels,
        created_at=forecast.created_at,
        kind=forecast.kind,
        data_cutoff=forecast.data_cutoff,
        points=points,
    )


def _dataset_of(session: Session, series_ids: list[int]) -> str:
    """The one dataset the series belong to: its champion forecasts them. Series of several
    datasets in one request are refused (each dataset has its own model and horizon)."""
    query = (
        select(Series.id, Dataset.name)
        .join(Dataset, Dataset.id == Series.dataset_id)
        .where(Series.id.in_(series_ids))
    )
    by_dataset: dict[str, list[int]] = {}
    for series_id, name in session.execute(query).all():
        by_dataset.setdefault(name, []).append(series_id)
    if len(by_dataset) > 1:
        shown = "; ".join(f"{name}: {sorted(ids)[:10]}" for name, ids in sorted(by_dataset.items()))
        raise ApiError(
            422,
            "mixed_datasets",
            f"the series belong to several datasets ({shown}); each dataset is forecast by its "
            "own champion: send one request per dataset",
        )
    return next(iter(by_dataset), DEFAULT_DATASET)


def _series_names(session: Session, series_ids: list[int]) -> dict[int, str]:
    """Id -> name of each series (404 naming the ids that do not exist)."""
    found = series_names_by_id(session, series_ids)
    unknown = [i for i in series_ids if i not in found]
    if unknown:
        raise ApiError(404, "not_found", f"series ids {unknown} do not exist")
    return found


def read_histories(
    session: Session, series_ids: list[int], points: int
) -> tuple[str, list[dict[str, Any]]]:
    """The series' one dataset and their recent histories, as the model server takes them
    (404 for an unknown series, 422 for one without observations or for mixed datasets)."""
    found = _series_names(session, series_ids)
    dataset = _dataset_of(session, series_ids)
    histories, empty = [], []
    for series_id in series_ids:
        stamps, values = recent_values(session, series_id, points)
        timestamps = [ts.isoformat() for ts in stamps]
        if not timestamps:
            empty.append(found[series_id])
        histories.append({"id": found[series_id], "timestamps": timestamps, "values": values})
    if empty:
        raise ApiError(422, "no_history", f"series {empty} have no observations to forecast from")
    return dataset, histories


def model_server_call(metrics: ApiMetrics, dataset: str, call: Callable[[], Any]) -> Any:
    """`call()` to the model server, its failures as the API's errors (503 not served or
    unavailable, 422 rejected), counted in the model-server call metric."""
    try:
        answer = call()
    except DatasetNotServedError as error:
        metrics.model_server_calls.labels("unavailable").inc()
        raise ApiError(
            503,
            "dataset_not_served",
            f"dataset {dataset!r} has no champion served yet (its pipeline has not rolled one "
            f"out): {error}",
        ) from error
    except ModelServerUnavailableError as error:
        metrics.model_server_calls.labels("unavailable").inc()
        raise ApiError(503, "model_server_unavailable", str(error)) from error
    except ModelServerRejectedError as error:
        metrics.model_server_calls.labels("rejected").inc()
        raise ApiError(
            422, "forecast_rejected", f"the model server cannot forecast this input: {error}"
        ) from error
    metrics.model_server_calls.labels("ok").inc()
    return answer


def _whole_levels(dataset: str, levels: Sequence[float]) -> list[int]:
    """The dataset's interval levels as the model server takes them (whole percents)."""
    if any(level != int(level) for level in levels):
        raise ApiError(
            422,
            "levels_required",
            f"dataset {dataset!r} has interval levels {list(levels)}; the API serves whole "
            "percents only: send `levels`",
        )
    return sorted({int(level) for level in levels})


@dataclass(frozen=True)
class ModelForecasts:
    """What the champion of the series' dataset answered, before anything is stored: the
    horizon and levels used and, per series id, its points (`ds`, `yhat`, `lower`, `upper`)."""

    dataset: str
    horizon: int
    levels: list[int]
    model_name: str
    model_version: str
    histories: list[dict[str, Any]]
    points: dict[int, list[dict[str, Any]]]


def model_forecasts(
    session: Session,
    client: ModelServerClient,
    metrics: ApiMetrics,
    *,
    request_id: str,
    series_ids: list[int],
    horizon: int | None,
    levels: list[int] | None,
    history_points: int,
    future: pd.DataFrame | None = None,
) -> ModelForecasts:
    """Forecast the series with their dataset's champion, `horizon` steps ahead (None: the
    dataset's horizon) at `levels` (None: the dataset's), storing nothing. The read
    transaction ends before the model call.

    A dataset with covariates sends each series' stored values (`api.forecast_covariates`);
    `future` overrides stored known-in-advance values of the horizon: `unique_id` (a series
    name, or None for every series of the request), `ds` and a column per covariate (NaN:
    not overridden). A horizon date left without a value is a 422
    `missing_future_covariates` naming the series, covariate and dates."""
    dataset, histories = read_histories(session, series_ids, history_points)
    found = find_dataset(session, dataset)
    config = dataset_config(found)
    steps = horizon or config.effective_horizon
    levels = levels if levels is not None else _whole_levels(dataset, config.levels)
    histories = with_covariates(
        session, found, config.covariates, series_ids, histories, steps, future
    )
    session.commit()  # end the read transaction before the (slow) model call
    answer = model_server_call(
        metrics,
        dataset,
        lambda: client.forecast(histories, steps, levels, request_id, dataset=dataset),
    )
    by_name = {entry["id"]: entry["points"] for entry in answer.series}
    return ModelForecasts(
        dataset=dataset,
        horizon=steps,
        levels=levels,
        model_name=answer.model_name,
        model_version=answer.model_version,
        histories=histories,
        points={
            series_id: by_name[history["id"]]
            for series_id, history in zip(series_ids, histories, strict=True)
        },
    )


def _requested_future(session: Session, body: ForecastCreate) -> pd.DataFrame | None:
    """The body's future covariate values as an override frame (None when it sends none)."""
    if not body.future:
        return None
    names = _series_names(session, body.series_ids)
    dataset = find_dataset(session, _dataset_of(session, body.series_ids))
    covariates = dataset_config(dataset).covariates
    return future_override(session, dataset, covariates, names, body.future)


def run_forecast(
    session: Session,
    client: ModelServerClient,
    metrics: ApiMetrics,
    caller: Caller,
    body: ForecastCreate,
    *,
    history_points: int,
) -> ForecastBatch:
    """Forecast the body's series with their dataset's champion, `body.horizon` steps ahead
    or, when it names none, the dataset's horizon, and store the forecasts. `body.future`
    values (checked against the dataset's declarations, 422 naming bad rows) take the place
    of stored ones."""
    future = _requested_future(session, body)
    answer = model_forecasts(
        session,
        client,
        metrics,
        request_id=caller.request_id,
        series_ids=body.series_ids,
        horizon=body.horizon,
        levels=body.levels,
        history_points=body.history or history_points,
        future=future,
    )
    stored = []
    for series_id in body.series_ids:
        points = [
            {"ds": p["ds"], "yhat": p["yhat"], "lo": p["lower"], "hi": p["upper"]}
            for p in answer.points[series_id]
        ]
        stored.append(
            save_forecast(
                session,
                request_id=caller.request_id,
                series_id=series_id,
                model_name=answer.model_name,
                model_version=answer.model_version,
                horizon=answer.horizon,
                levels=answer.levels,
                points=points,
            )
        )
    caller.audit(
        session,
        "forecast.create",
        "forecasts",
        {
            "series_ids": body.series_ids,
            "horizon": answer.horizon,
            "model_version": answer.model_version,
            **({"future_values": len(body.future)} if body.future else {}),
        },
    )
    session.commit()
    metrics.forecasts.labels(answer.dataset, answer.model_version).inc(len(stored))
    return ForecastBatch(
        request_id=caller.request_id,
        model_name=answer.model_name,
        model_version=answer.model_version,
        forecasts=[forecast_public(f) for f in stored],
    )
