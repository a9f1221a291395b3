"""Series: create, look up, list and delete (deleting removes its observations and forecasts).

Every series belongs to one dataset and its name is unique in that dataset. Functions take
`dataset_id`; None means the `default` dataset, where everything that names none goes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.orm import Session

from core.datasets import DEFAULT_DATASET
from core.datasets.frequency import normalized_frequency
from core.db.errors import DuplicateRecordError, RecordNotFoundError
from core.db.repositories.datasets import default_dataset_id, record_dataset_frequency
from core.db.repositories.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from core.db.tables import Dataset, Series

__all__ = [
    "create_series",
    "delete_series",
    "existing_series_ids",
    "get_or_create_series",
    "get_series",
    "get_series_by_name",
    "in_dataset",
    "list_series",
    "record_inferred_frequency",
    "series_ids_by_name",
    "series_in_shard",
    "series_names_by_id",
]


def _checked_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"series name must be a non-empty string, got {name!r}")
    return name


def in_dataset(dataset_id: int | None = None) -> ColumnElement[bool]:
    """The condition "a series of this dataset" (None: of the `default` dataset), for
    queries over `series`."""
    if dataset_id is not None:
        return Series.dataset_id == dataset_id
    default = select(Dataset.id).where(Dataset.name == DEFAULT_DATASET).scalar_subquery()
    return Series.dataset_id == default


def create_series(
    session: Session,
    name: str,
    frequency: str | None = None,
    meta: dict[str, Any] | None = None,
    dataset_id: int | None = None,
) -> Series:
    """A new series of the dataset; a name already taken there raises `DuplicateRecordError`."""
    if get_series_by_name(session, _checked_name(name), dataset_id) is not None:
        raise DuplicateRecordError(f"series {name!r} already exists")
    if dataset_id is None:
        dataset_id = default_dataset_id(session)
    series = Series(name=name, frequency=frequency, meta=dict(meta or {}), dataset_id=dataset_id)
    session.add(series)
    session.flush()
    return series


def get_series(session: Session, series_id: int) -> Series | None:
    return session.get(Series, series_id)


def get_series_by_name(session: Session, name: str, dataset_id: int | None = None) -> Series | None:
    return session.scalar(select(Series).where(Series.name == name, in_dataset(dataset_id)))


def get_or_create_series(
    session: Session, name: str, frequency: str | None = None, dataset_id: int | None = None
) -> Series:
    existing = get_series_by_name(session, name, dataset_id)
    if existing is not None:
        return existing
    return create_series(session, name, frequency, dataset_id=dataset_id)


def list_series(
    session: Session,
    name_contains: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    offset: int = 0,
    dataset_id: int | None = None,
) -> Page[Series]:
    """Series of the dataset ordered by name; `name_contains` filters case-insensitively."""
    query = select(Series).where(in_dataset(dataset_id)).order_by(Series.name)
    if name_contains:
        query = query.where(Series.name.icontains(name_contains, autoescape=True))
    return paginate(session, query, limit, offset)


def delete_series(session: Session, series_id: int) -> None:
    """Delete a series with its observations and forecasts; unknown ids raise."""
    deleted = session.execute(delete(Series).where(Series.id == series_id)).rowcount
    if not deleted:
        raise RecordNotFoundError(f"series id {series_id} does not exist")
    session.expire_all()


def series_ids_by_name(
    session: Session,
    names: Iterable[str],
    create_missing: bool = False,
    frequency: str | None = None,
    dataset_id: int | None = None,
) -> dict[str, int]:
    """Ids of the named series of the dataset; missing names raise unless `create_missing`."""
    wanted = {_checked_name(name) for name in names}
    query = select(Series.name, Series.id).where(Series.name.in_(wanted), in_dataset(dataset_id))
    found = {name: series_id for name, series_id in session.execute(query)}
    missing = sorted(wanted - found.keys())
    if missing and not create_missing:
        raise RecordNotFoundError(f"unknown series: {', '.join(missing[:10])}")
    if missing:
        found |= _created_series(session, missing, frequency, dataset_id)
    return found


_CREATE_ROWS = 1000  # series per INSERT of new series


def _created_series(
    session: Session, names: list[str], frequency: str | None, dataset_id: int | None
) -> dict[str, int]:
    """Ids of new series `names` (none of them in the dataset yet), created in the given
    order by a few multi-row INSERTs rather than one statement per series."""
    if dataset_id is None:
        dataset_id = default_dataset_id(session)
    for start in range(0, len(names), _CREATE_ROWS):
        rows = [
            {"name": name, "frequency": frequency, "meta": {}, "dataset_id": dataset_id}
            for name in names[start : start + _CREATE_ROWS]
        ]
        session.execute(insert(Series), rows)
    created: dict[str, int] = {}
    for start in range(0, len(names), _CREATE_ROWS):
        query = select(Series.name, Series.id).where(
            Series.name.in_(names[start : start + _CREATE_ROWS]), Series.dataset_id == dataset_id
        )
        created.update(session.execute(query).tuples().all())
    return created


def record_inferred_frequency(
    session: Session, names: Iterable[str], frequency: str, dataset_id: int | None = None
) -> int:
    """Give the named series of the dataset `frequency` where none is set (a frequency
    someone set is kept), and the dataset too when it has none yet (its first ingest fixes
    it); returns how many series were updated."""
    wanted = list(dict.fromkeys(names))
    updated = 0
    for start in range(0, len(wanted), 500):
        result = session.execute(
            update(Series)
            .where(
                Series.name.in_(wanted[start : start + 500]),
                Series.frequency.is_(None),
                in_dataset(dataset_id),
            )
            .values(frequency=frequency)
            .execution_options(synchronize_session=False)
        )
        updated += result.rowcount or 0
    if wanted and _dataset_may_take(frequency):
        record_dataset_frequency(session, dataset_id or default_dataset_id(session), frequency)
    return updated


def _dataset_may_take(frequency: str) -> bool:
    """Whether a dataset accepts `frequency` (an alias of a unit it knows); one it does not
    leaves the dataset unfixed rather than failing the ingest that inferred it."""
    try:
        normalized_frequency(frequency)
    except ValueError:
        return False
    return True


def series_in_shard(
    session: Session, shard: int, shards: int, dataset_id: int | None = None
) -> dict[str, int]:
    """Name -> id of the dataset's series in shard `shard` of `shards` (by id modulo the
    count): every series is in exactly one shard, and keeps its shard as others are added."""
    if shards < 1 or not 0 <= shard < shards:
        raise ValueError(f"shard must be in [0, {shards}), got {shard} of {shards}")
    rows = session.execute(
        select(Series.name, Series.id)
        .where(Series.id % shards == shard, in_dataset(dataset_id))
        .order_by(Series.id)
    )
    return {name: series_id for name, series_id in rows}


def series_names_by_id(session: Session, series_ids: Iterable[int]) -> dict[int, str]:
    """Id -> name of the series among `series_ids` that exist (unknown ids are left out)."""
    rows = session.execute(select(Series.id, Series.name).where(Series.id.in_(set(series_ids))))
    return {series_id: name for series_id, name in rows}


def existing_series_ids(
    session: Session, names: Iterable[str], dataset_id: int | None = None
) -> dict[str, int]:
    """Name -> id of the named series of the dataset that exist (unknown names left out)."""
    query = select(Series.name, Series.id).where(
        Series.name.in_(set(names)), in_dataset(dataset_id)
    )
    rows = session.execute(query)
    return {name: series_id for name, series_id in rows}
