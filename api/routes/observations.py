"""Observations: idempotent bulk upsert (JSON or CSV), all or nothing; list by time range.

A key limited to datasets reads and writes only their series (`api.visibility`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from sqlalchemy.orm import Session

from api.auth import Caller
from api.deps import Reader, SessionDep, Writer
from api.errors import ApiError
from api.observations_input import UploadRow, parse_csv, store_rows
from api.routes import API_PREFIX
from api.routes.series import find_series
from api.schemas.common import MAX_RECORD_ID, QueryDateTime, RecordId, Text, errors
from api.schemas.datasets import DatasetName
from api.schemas.observations import (
    MAX_UPLOAD_ROWS,
    ObservationList,
    ObservationPublic,
    ObservationsUpsert,
    SeriesObservationsUpsert,
    UpsertSummary,
)
from api.visibility import visible_dataset
from core.datasets import DEFAULT_DATASET
from core.db.repositories.observations import read_observations
from core.db.tables import Dataset
from core.db.types import as_utc

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX, tags=["observations"])
MAX_LIST = 10_000


def _store(
    session: Session,
    caller: Caller,
    rows: list[UploadRow],
    *,
    source: str,
    create_missing: bool = False,
    frequency: str | None = None,
    dataset: str | None = None,
) -> UpsertSummary:
    visible_dataset(session, caller, dataset or DEFAULT_DATASET)  # 404 for one it may not see
    result, created = store_rows(
        session, rows, create_missing=create_missing, frequency=frequency, dataset=dataset
    )
    summary = UpsertSummary(
        rows=len(rows), inserted=result.inserted, updated=result.updated, series_created=created
    )
    names = sorted({row.series for row in rows})
    details = {"source": source, "dataset": dataset, "series": names[:50], **summary.model_dump()}
    caller.audit(session, "observations.upsert", "observations", details)
    session.commit()
    return summary


@router.post("/observations", response_model=UpsertSummary, responses=errors(400, 404))
def upsert(body: ObservationsUpsert, session: SessionDep, caller: Writer) -> UpsertSummary:
    """Insert or update rows of one or many series, keyed by (series, timestamp).

    Re-sending a row only updates its value. Any invalid row (unknown series, repeated key,
    non-finite value, bad timestamp, a (series, timestamp) key twice, a timestamp off the
    dataset's frequency grid) rejects the whole request with a 422 listing the rows; unknown
    series (of the dataset) and an unknown dataset answer 404.
    """
    rows = [
        UploadRow(("body", "observations", i), o.series, o.ts, o.value)
        for i, o in enumerate(body.observations)
    ]
    return _store(
        session,
        caller,
        rows,
        source="json",
        create_missing=body.create_missing_series,
        frequency=body.frequency,
        dataset=body.dataset,
    )


@router.post("/observations/csv", response_model=UpsertSummary, responses=errors(400, 404))
def upsert_csv(
    session: SessionDep,
    caller: Writer,
    file: Annotated[UploadFile, File(description="CSV with columns series,ts,value.")],
    create_missing_series: bool = False,
    frequency: Annotated[
        Text | None, Query(max_length=32, description="Frequency given to created series.")
    ] = None,
    dataset: Annotated[
        DatasetName | None, Query(description="The series' dataset; left out: `default`.")
    ] = None,
) -> UpsertSummary:
    """The same upsert from a CSV upload (`series,ts,value` or `unique_id,ds,y` columns);
    errors name the file line (the header is line 1)."""
    content = file.file.read()  # bounded by the request-body limit (api.body_limit)
    rows = parse_csv(content, MAX_UPLOAD_ROWS)
    return _store(
        session,
        caller,
        rows,
        source=f"csv:{file.filename or 'upload'}",
        create_missing=create_missing_series,
        frequency=frequency,
        dataset=dataset,
    )


@router.post(
    "/series/{series_id}/observations", response_model=UpsertSummary, responses=errors(400, 404)
)
def upsert_one_series(
    series_id: RecordId, body: SeriesObservationsUpsert, session: SessionDep, caller: Writer
) -> UpsertSummary:
    """Insert or update rows of the series named by the path; a timestamp repeated in the
    body or off its dataset's frequency grid rejects the whole request with a 422 listing
    the rows."""
    series = find_series(session, caller, series_id)
    rows = [
        UploadRow(("body", "observations", i), series.name, o.ts, o.value)
        for i, o in enumerate(body.observations)
    ]
    dataset = session.get(Dataset, series.dataset_id).name
    return _store(session, caller, rows, source="json", dataset=dataset)


@router.get(
    "/series/{series_id}/observations", response_model=ObservationList, responses=errors(404)
)
def list_range(
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
) -> ObservationList:
    """Observations of one series in a time range, oldest first; a `start` after `end`
    answers 422."""
    find_series(session, caller, series_id)
    start = as_utc(start) if start is not None else None
    end = as_utc(end) if end is not None else None
    if start is not None and end is not None and start > end:
        raise ApiError(422, "invalid_input", f"start {start} is after end {end}")
    rows = read_observations(session, series_id, start, end)
    items = [ObservationPublic(ts=o.ts, value=o.value) for o in rows[offset : offset + limit]]
    return ObservationList(
        series_id=series_id, items=items, total=len(rows), limit=limit, offset=offset
    )
