"""Covariates of one series, and a dataset's values for every series: upsert static and
known-in-advance values (all or nothing, a 422 naming each bad row), and read them back. The
dataset declares them (`POST /api/v1/datasets`); a key limited to datasets reaches only
theirs."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query

from api.covariates_input import store_dataset_covariates, store_series_covariates
from api.deps import Reader, SessionDep, Writer
from api.errors import ApiError
from api.routes import API_PREFIX
from api.routes.datasets import NameInPath
from api.routes.series import find_series
from api.schemas.common import MAX_RECORD_ID, QueryDateTime, RecordId, errors
from api.schemas.covariates import (
    CovariatesSummary,
    CovariateValuePublic,
    DatasetCovariates,
    DatasetCovariatesUpsert,
    SeriesCovariates,
    SeriesCovariatesUpsert,
)
from api.visibility import visible_dataset
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


Start = Annotated[QueryDateTime | None, Query(description="Inclusive start (RFC 3339 date-time).")]
End = Annotated[QueryDateTime | None, Query(description="Inclusive end (RFC 3339 date-time).")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIST)]
Offset = Annotated[int, Query(ge=0, le=MAX_RECORD_ID)]


def _range(start, end):
    start = as_utc(start) if start is not None else None
    end = as_utc(end) if end is not None else None
    if start is not None and end is not None and start > end:
        raise ApiError(422, "invalid_input", f"start {start} is after end {end}")
    return start, end


def _values_page(
    values: pd.DataFrame, covariates, limit: int, offset: int
) -> tuple[list[CovariateValuePublic], int]:
    """A page of `values` (as `read_covariate_values` answers) by timestamp then covariate,
    and how many there are."""
    by_name = {c.name: c for c in covariates}
    long = values.melt(id_vars=["unique_id", "ds"], var_name="name").dropna(subset=["value"])
    long = long.sort_values(["ds", "name"], ignore_index=True)
    page = long.iloc[offset : offset + limit]
    return [
        CovariateValuePublic(
            ts=as_utc(ds.to_pydatetime()), name=name, value=_public(value, by_name[name])
        )
        for ds, name, value in zip(page["ds"], page["name"], page["value"], strict=True)
    ], len(long)


@router.get(
    "/series/{series_id}/covariates", response_model=SeriesCovariates, responses=errors(404)
)
def read(
    series_id: RecordId,
    session: SessionDep,
    caller: Reader,
    start: Start = None,
    end: End = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> SeriesCovariates:
    """The series' static covariate values and its own known-in-advance values in a time range
    (future ones included), oldest first, by timestamp then covariate; a `start` after `end`
    answers 422. Values for every series of the dataset are read from the dataset."""
    series = find_series(session, caller, series_id)
    start, end = _range(start, end)
    covariates = dataset_config(session.get(Dataset, series.dataset_id)).covariates
    by_name = {c.name: c for c in covariates}
    scope = {"dataset_id": series.dataset_id, "series_names": [series.name]}
    static = read_static_covariates(session, covariates, **scope)
    values = read_covariate_values(session, covariates, start=start, end=end, shared=False, **scope)
    page, total = _values_page(values, covariates, limit, offset)
    return SeriesCovariates(
        series_id=series.id,
        static={
            name: _public(value, by_name[name])
            for record in static.drop(columns="unique_id").to_dict("records")
            for name, value in record.items()
            if not pd.isna(value)
        },
        values=page,
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/datasets/{name}/covariates", response_model=CovariatesSummary, responses=errors(400, 404)
)
def upsert_for_dataset(
    name: NameInPath, body: DatasetCovariatesUpsert, session: SessionDep, caller: Writer
) -> CovariatesSummary:
    """Insert or update known-in-advance values for every series of the dataset (future ones
    too), keyed by (timestamp, covariate); a series' own value wins over one of these. An
    undeclared covariate, one of another kind, a value not of the covariate's type, a key
    given twice or a timestamp off the dataset's grid rejects the whole request with a 422
    listing the rows."""
    dataset = visible_dataset(session, caller, name)
    stored = store_dataset_covariates(session, dataset, dataset_config(dataset).covariates, body)
    summary = CovariatesSummary(
        rows=len(body.values), inserted=stored.inserted, updated=stored.updated
    )
    details = {"dataset": dataset.name, **summary.model_dump()}
    caller.audit(session, "covariates.upsert", f"dataset:{dataset.name}", details)
    session.commit()
    return summary


@router.get("/datasets/{name}/covariates", response_model=DatasetCovariates, responses=errors(404))
def read_for_dataset(
    name: NameInPath,
    session: SessionDep,
    caller: Reader,
    start: Start = None,
    end: End = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> DatasetCovariates:
    """The dataset's known-in-advance values for every series in a time range (future ones
    included), oldest first, by timestamp then covariate; a `start` after `end` answers 422."""
    dataset = visible_dataset(session, caller, name)
    start, end = _range(start, end)
    covariates = dataset_config(dataset).covariates
    values = read_covariate_values(
        session, covariates, dataset_id=dataset.id, start=start, end=end, own=False
    )
    page, total = _values_page(values, covariates, limit, offset)
    return DatasetCovariates(
        dataset=dataset.name, values=page, total=total, limit=limit, offset=offset
    )
