"""Covariates of one series: upsert its static and known-in-advance values (all or nothing,
a 422 naming each bad row), and read them back. The series' dataset declares them
(`POST /api/v1/datasets`); a key limited to datasets reaches only their series."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query

from api.covariates_input import store_series_covariates
from api.deps import Reader, SessionDep, Writer
from api.errors import ApiError
from api.routes import API_PREFIX
from api.routes.series import find_series
from api.schemas.common import MAX_RECORD_ID, QueryDateTime, RecordId, errors
from api.schemas.covariates import (
    CovariatesSummary,
    CovariateValuePublic,
    SeriesCovariates,
    SeriesCovariatesUpsert,
)
from core.covariates import Covariate
from core.db.repositories.covariates import read_covariate_values, read_static_covariates
from core.db.repositories.datasets import dataset_config
from core.db.tables import Dataset
from core.db.types import as_utc

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX, tags=["covariates"])
MAX_LIST = 10_000


def _public(value: object, covariate: Covariate) -> bool | float | str:
    if covariate.type == "boolean":
        return bool(value)
    return str(value) if covariate.type == "categorical" else float(value)


@router.post(
    "/series/{series_id}/covariates", response_model=CovariatesSummary, responses=errors(400, 404)
)
def upsert(
    series_id: RecordId, body: SeriesCovariatesUpsert, session: SessionDep, caller: Writer
) -> CovariatesSummary:
    """Insert or update covariate values of the series named by the path: `static` (one value
    per static covariate) and `values` (known-in-advance values by timestamp, future ones
    too), keyed by (timestamp, covariate). A covariate its dataset does not declare, one of
    another kind, a value not of the covariate's type (a number, true/false, a known
    category), a key given twice or a timestamp off the dataset's grid rejects the whole
    request with a 422 listing the rows."""
    series = find_series(session, caller, series_id)
    dataset = session.get(Dataset, series.dataset_id)
    covariates = dataset_config(dataset).covariates
    stored = store_series_covariates(session, series, dataset, covariates, body)
    summary = CovariatesSummary(
        rows=len(body.static) + len(body.values), inserted=stored.inserted, updated=stored.updated
    )
    details = {"series": series.name, "dataset": dataset.name, **summary.model_dump()}
    caller.audit(session, "covariates.upsert", f"series:{series.id}", details)
    session.commit()
    return summary


@router.get(
    "/series/{series_id}/covariates", response_model=SeriesCovariates, responses=errors(404)
)
def read(
    series_id: RecordId,
    session: SessionDep,
    caller: Reader,
    start: Annotated[
        QueryDateTime | None, Query(description="Inclusive start (RFC 3339 date-time).")
    ] = None,
    end: Annotated[
        QueryDateTime | None, Query(description="Inclusive end (RFC 3339 date-time).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 1000,
    offset: Annotated[int, Query(ge=0, le=MAX_RECORD_ID)] = 0,
) -> SeriesCovariates:
    """The series' static covariate values and its known-in-advance values in a time range
    (future ones included), oldest first, by timestamp then covariate; a `start` after `end`
    answers 422."""
    series = find_series(session, caller, series_id)
    start = as_utc(start) if start is not None else None
    end = as_utc(end) if end is not None else None
    if start is not None and end is not None and start > end:
        raise ApiError(422, "invalid_input", f"start {start} is after end {end}")
    covariates = dataset_config(session.get(Dataset, series.dataset_id)).covariates
    by_name = {c.name: c for c in covariates}
    scope = {"dataset_id": series.dataset_id, "series_names": [series.name]}
    static = read_static_covariates(session, covariates, **scope)
    values = read_covariate_values(session, covariates, start=start, end=end, **scope)
    long = values.melt(id_vars=["unique_id", "ds"], var_name="name").dropna(subset=["value"])
    long = long.sort_values(["ds", "name"], ignore_index=True)
    page = long.iloc[offset : offset + limit]
    return SeriesCovariates(
        series_id=series.id,
        static={
            name: _public(value, by_name[name])
            for record in static.drop(columns="unique_id").to_dict("records")
            for name, value in record.items()
            if not pd.isna(value)
        },
        values=[
            CovariateValuePublic(
                ts=as_utc(ds.to_pydatetime()), name=name, value=_public(value, by_name[name])
            )
            for ds, name, value in zip(page["ds"], page["name"], page["value"], strict=True)
        ],
        total=len(long),
        limit=limit,
        offset=offset,
    )
