"""`/api/v1/series`: list (paginated, filter by name), create, get, delete (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import Admin, Reader, SessionDep, Writer
from api.errors import ApiError
from api.routes import API_PREFIX
from api.schemas.common import MAX_RECORD_ID, Page, RecordId, Text, errors
from api.schemas.datasets import DatasetName
from api.schemas.series import SeriesCreate, SeriesPublic
from core.db.repositories.datasets import find_dataset
from core.db.repositories.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from core.db.repositories.series import create_series, delete_series, get_series, list_series
from core.db.tables import Series

__all__ = ["find_series", "router"]

router = APIRouter(prefix=f"{API_PREFIX}/series", tags=["series"])


def find_series(session: SessionDep, series_id: int) -> Series:
    series = get_series(session, series_id)
    if series is None:
        raise ApiError(404, "not_found", f"series id {series_id} does not exist")
    return series


@router.get("", response_model=Page[SeriesPublic], responses=errors(404))
def list_all(
    session: SessionDep,
    _caller: Reader,
    name: Annotated[
        Text | None, Query(max_length=255, description="Case-insensitive part of the name.")
    ] = None,
    dataset: Annotated[
        DatasetName | None, Query(description="Series of this dataset; left out: `default`.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=MAX_RECORD_ID)] = 0,
) -> Page[SeriesPublic]:
    """Series of one dataset ordered by name, one page at a time; an unknown dataset
    answers 404."""
    dataset_id = find_dataset(session, dataset).id if dataset is not None else None
    page = list_series(
        session, name_contains=name, limit=limit, offset=offset, dataset_id=dataset_id
    )
    items = [SeriesPublic.model_validate(series) for series in page.items]
    return Page(items=items, total=page.total, limit=limit, offset=offset)


@router.post(
    "",
    response_model=SeriesPublic,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 404, 409),
)
def create(body: SeriesCreate, session: SessionDep, caller: Writer) -> SeriesPublic:
    """Create a series in a dataset (`default` unless named); a name already taken there
    answers 409, an unknown dataset 404."""
    dataset_id = find_dataset(session, body.dataset).id if body.dataset is not None else None
    series = create_series(session, body.name, body.frequency, body.meta, dataset_id=dataset_id)
    caller.audit(session, "series.create", f"series:{series.id}", {"name": series.name})
    session.commit()
    return SeriesPublic.model_validate(series)


@router.get("/{series_id}", response_model=SeriesPublic, responses=errors(404))
def get_one(series_id: RecordId, session: SessionDep, _caller: Reader) -> SeriesPublic:
    return SeriesPublic.model_validate(find_series(session, series_id))


@router.delete("/{series_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
def delete(series_id: RecordId, session: SessionDep, caller: Admin) -> None:
    """Delete a series with its observations and forecasts (admin scope)."""
    name = find_series(session, series_id).name
    delete_series(session, series_id)
    caller.audit(session, "series.delete", f"series:{series_id}", {"name": name})
    session.commit()
