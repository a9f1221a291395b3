"""`/api/v1/series`: list (paginated, filter by name and dataset), create, get, delete (admin).

A key limited to datasets sees only their series (`api.visibility`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from api.auth import Caller
from api.deps import Admin, Reader, SessionDep, Writer
from api.routes import API_PREFIX
from api.schemas.common import MAX_RECORD_ID, Page, RecordId, Text, errors
from api.schemas.datasets import DatasetName
from api.schemas.series import SeriesCreate, SeriesPublic
from api.visibility import visible_dataset, visible_series
from core.datasets import DEFAULT_DATASET
from core.db.repositories.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from core.db.repositories.series import create_series, delete_series, list_series
from core.db.tables import Dataset, Series

__all__ = ["find_series", "router", "series_public"]

router = APIRouter(prefix=f"{API_PREFIX}/series", tags=["series"])


def find_series(session: Session, caller: Caller, series_id: int) -> Series:
    """The series, if the key may see it; else 404 as for a series that does not exist."""
    return visible_series(session, caller, series_id)


def series_public(session: Session, series: Series) -> SeriesPublic:
    """The API view of a series, with its dataset's name."""
    return SeriesPublic(
        id=series.id,
        dataset_id=series.dataset_id,
        dataset=session.get(Dataset, series.dataset_id).name,
        name=series.name,
        frequency=series.frequency,
        meta=series.meta,
        created_at=series.created_at,
    )


@router.get("", response_model=Page[SeriesPublic], responses=errors(404))
def list_all(
    session: SessionDep,
    caller: Reader,
    name: Annotated[
        Text | None, Query(max_length=255, description="Case-insensitive part of the name.")
    ] = None,
    dataset: Annotated[
        DatasetName | None, Query(description="Series of this dataset; left out: `default`.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=MAX_RECORD_ID)] = 0,
) -> Page[SeriesPublic]:
    """Series of one dataset ordered by name, one page at a time; a dataset that does not
    exist, or that the key may not see, answers 404."""
    dataset_id = visible_dataset(session, caller, dataset or DEFAULT_DATASET).id
    page = list_series(
        session, name_contains=name, limit=limit, offset=offset, dataset_id=dataset_id
    )
    items = [series_public(session, series) for series in page.items]
    return Page(items=items, total=page.total, limit=limit, offset=offset)


@router.post(
    "",
    response_model=SeriesPublic,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 404, 409),
)
def create(body: SeriesCreate, session: SessionDep, caller: Writer) -> SeriesPublic:
    """Create a series in a dataset (`default` unless named); a name already taken there
    answers 409, a dataset that does not exist (or that the key may not see) 404."""
    dataset_id = visible_dataset(session, caller, body.dataset or DEFAULT_DATASET).id
    series = create_series(session, body.name, body.frequency, body.meta, dataset_id=dataset_id)
    caller.audit(session, "series.create", f"series:{series.id}", {"name": series.name})
    session.commit()
    return series_public(session, series)


@router.get("/{series_id}", response_model=SeriesPublic, responses=errors(404))
def get_one(series_id: RecordId, session: SessionDep, caller: Reader) -> SeriesPublic:
    return series_public(session, find_series(session, caller, series_id))


@router.delete("/{series_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
def delete(series_id: RecordId, session: SessionDep, caller: Admin) -> None:
    """Delete a series with its observations and forecasts (admin scope)."""
    name = find_series(session, caller, series_id).name
    delete_series(session, series_id)
    caller.audit(session, "series.delete", f"series:{series_id}", {"name": name})
    session.commit()
