"""What an API key may see. A key limited to datasets sees nothing of the others: their
series, observations, forecasts and accuracy, and the datasets themselves, answer 404 exactly
as if they did not exist (a 403 would tell that they do), and lists leave them out. A key with
no limit, and every admin key, sees everything."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Caller
from api.errors import ApiError
from core.db.repositories.datasets import find_dataset, get_dataset, list_datasets
from core.db.repositories.series import get_series
from core.db.tables import Dataset, Series

__all__ = [
    "check_series_visible",
    "hidden_series",
    "visible_dataset",
    "visible_datasets",
    "visible_series",
]


def visible_datasets(session: Session, caller: Caller) -> list[Dataset]:
    """The datasets the key may see, by name."""
    return [dataset for dataset in list_datasets(session) if caller.sees(dataset.name)]


def visible_dataset(session: Session, caller: Caller, name: str) -> Dataset:
    """The named dataset; 404 when it does not exist or the key may not see it (the message
    names only datasets the key may see)."""
    if not caller.limited:
        return find_dataset(session, name)  # its 404 names the known datasets
    dataset = get_dataset(session, name) if caller.sees(name) else None
    if dataset is None:
        shown = [dataset.name for dataset in visible_datasets(session, caller)]
        raise ApiError(
            404,
            "not_found",
            f"dataset {name!r} does not exist among the datasets this API key may see {shown}",
        )
    return dataset


def _dataset_name(session: Session, series: Series) -> str:
    return session.get(Dataset, series.dataset_id).name


def visible_series(session: Session, caller: Caller, series_id: int) -> Series:
    """The series; 404 when it does not exist or is of a dataset the key may not see."""
    series = get_series(session, series_id)
    if series is None or not caller.sees(_dataset_name(session, series)):
        raise ApiError(404, "not_found", f"series id {series_id} does not exist")
    return series


def hidden_series(session: Session, caller: Caller, series_ids: Iterable[int]) -> list[int]:
    """Those of the ids that are no series the key may see (of another dataset, or none at
    all); always none for a key without a limit, which is not asked about."""
    if not caller.limited:
        return []
    ids = list(series_ids)
    query = (
        select(Series.id, Dataset.name)
        .join(Dataset, Dataset.id == Series.dataset_id)
        .where(Series.id.in_(ids))
    )
    seen = {series_id for series_id, dataset in session.execute(query) if caller.sees(dataset)}
    return [series_id for series_id in ids if series_id not in seen]


def check_series_visible(session: Session, caller: Caller, series_ids: Iterable[int]) -> None:
    """404 naming the series (of those ids) of datasets the key may not see, as if they did
    not exist; nothing to check for a key without a limit."""
    hidden = hidden_series(session, caller, series_ids)
    if hidden:
        raise ApiError(404, "not_found", f"series ids {hidden} do not exist")
