"""Datasets: create, look up, list, update (only what is safe on a live dataset), apply a
declared configuration, and delete (with everything of that dataset, nothing of another)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.datasets import (
    DEFAULT_DATASET,
    DatasetChangeRefused,
    DatasetConfig,
    changes_refused,
)
from core.datasets.landing import dataset_landing_prefixes
from core.db.errors import DuplicateRecordError, InvalidStateError, RecordNotFoundError
from core.db.tables import Dataset, Forecast, LandingFile, Observation, QuarantinedRow, Series
from core.db.types import utc_now

__all__ = [
    "DatasetContents",
    "apply_dataset",
    "create_dataset",
    "dataset_config",
    "dataset_contents",
    "default_dataset_id",
    "delete_dataset",
    "ensure_default_dataset",
    "find_dataset",
    "get_dataset",
    "list_datasets",
    "record_dataset_frequency",
    "update_dataset",
]


@dataclass(frozen=True)
class DatasetContents:
    """What a dataset holds (and what deleting it removes)."""

    series: int
    observations: int
    forecasts: int
    quarantined_rows: int


def dataset_config(dataset: Dataset) -> DatasetConfig:
    """The stored dataset as its validated configuration."""
    return DatasetConfig.from_stored(dataset.name, dataset.frequency, dataset.config)


def get_dataset(session: Session, name: str) -> Dataset | None:
    return session.scalar(select(Dataset).where(Dataset.name == name))


def find_dataset(session: Session, name: str) -> Dataset:
    """The named dataset; `RecordNotFoundError` names the known ones when it is missing."""
    dataset = get_dataset(session, name)
    if dataset is None:
        known = session.scalars(select(Dataset.name).order_by(Dataset.name).limit(20)).all()
        raise RecordNotFoundError(f"dataset {name!r} does not exist (known: {list(known)})")
    return dataset


def default_dataset_id(session: Session) -> int:
    """Id of the `default` dataset, where everything that names no dataset goes."""
    found = session.scalar(select(Dataset.id).where(Dataset.name == DEFAULT_DATASET))
    if found is None:
        raise RecordNotFoundError(
            f"the {DEFAULT_DATASET!r} dataset does not exist: run `quantis db upgrade`"
        )
    return found


def list_datasets(session: Session) -> list[Dataset]:
    return list(session.scalars(select(Dataset).order_by(Dataset.name)))


def create_dataset(session: Session, config: DatasetConfig) -> Dataset:
    """A new dataset; a name already taken raises `DuplicateRecordError`."""
    if get_dataset(session, config.name) is not None:
        raise DuplicateRecordError(f"dataset {config.name!r} already exists")
    now = utc_now()
    dataset = Dataset(
        name=config.name,
        frequency=config.frequency,
        config=config.settings_document(),
        created_at=now,
        updated_at=now,
    )
    session.add(dataset)
    session.flush()
    return dataset


def ensure_default_dataset(session: Session, config: DatasetConfig | None = None) -> Dataset:
    """The `default` dataset, created (from `config`, else the code defaults) when missing."""
    existing = get_dataset(session, DEFAULT_DATASET)
    if existing is not None:
        return existing
    return create_dataset(session, config or DatasetConfig(name=DEFAULT_DATASET))


def _store(session: Session, dataset: Dataset, wanted: DatasetConfig) -> Dataset:
    refused = changes_refused(dataset_config(dataset), wanted)
    if refused:
        raise DatasetChangeRefused(dataset.name, refused)
    dataset.frequency = wanted.frequency
    dataset.config = wanted.settings_document()
    dataset.updated_at = utc_now()
    session.flush()
    return dataset


def update_dataset(session: Session, name: str, changes: dict[str, Any]) -> Dataset:
    """Change the named fields of a dataset. Changes a live dataset refuses (its name; its
    frequency once fixed) raise `DatasetChangeRefused` with the reasons; invalid values
    raise pydantic's `ValidationError`; nothing is stored then."""
    dataset = find_dataset(session, name)
    current = dataset_config(dataset)
    wanted = DatasetConfig(**{**current.model_dump(), **changes})
    return _store(session, dataset, wanted)


def apply_dataset(
    session: Session, config: DatasetConfig
) -> Literal["created", "updated", "unchanged"]:
    """Make the dataset what `config` declares: create it, or update what is safe to change.
    A declaration without a frequency keeps the one the dataset has (inferred, say)."""
    dataset = get_dataset(session, config.name)
    if dataset is None:
        create_dataset(session, config)
        return "created"
    current = dataset_config(dataset)
    if config.frequency is None:
        config = config.model_copy(update={"frequency": current.frequency})
    if config == current:
        return "unchanged"
    _store(session, dataset, config)
    return "updated"


def record_dataset_frequency(session: Session, dataset_id: int, frequency: str) -> bool:
    """Fix a dataset's frequency where none is set yet (inferred at its first ingest);
    True when it was set now. A fixed frequency is never changed here."""
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise RecordNotFoundError(f"dataset id {dataset_id} does not exist")
    if dataset.frequency is not None:
        return False
    # validated (and normalized) as any declared frequency is
    dataset.frequency = DatasetConfig(name=dataset.name, frequency=frequency).frequency
    dataset.updated_at = utc_now()
    session.flush()
    return True


def dataset_contents(session: Session, dataset_id: int) -> DatasetContents:
    series = select(Series.id).where(Series.dataset_id == dataset_id)
    count = func.count()
    return DatasetContents(
        series=session.scalar(select(count).select_from(series.subquery())) or 0,
        observations=session.scalar(
            select(count).select_from(Observation).where(Observation.series_id.in_(series))
        )
        or 0,
        forecasts=session.scalar(
            select(count).select_from(Forecast).where(Forecast.series_id.in_(series))
        )
        or 0,
        quarantined_rows=session.scalar(
            select(count).select_from(QuarantinedRow).where(QuarantinedRow.dataset_id == dataset_id)
        )
        or 0,
    )


def delete_dataset(session: Session, name: str) -> DatasetContents:
    """Delete a dataset with its series, their observations, forecasts, accuracy and drift
    rows, and its quarantined rows (foreign keys cascade); returns what it held. The
    `default` dataset is refused: requests that name no dataset go there."""
    if name == DEFAULT_DATASET:
        raise InvalidStateError(
            f"the {DEFAULT_DATASET!r} dataset cannot be deleted: requests and files that name no "
            "dataset go there (delete its series instead)"
        )
    dataset = find_dataset(session, name)
    contents = dataset_contents(session, dataset.id)
    session.execute(delete(Dataset).where(Dataset.id == dataset.id))
    # the records of its landing files go too: the same file landed again for a dataset
    # created anew under this name is new to it
    for prefix in dataset_landing_prefixes(name):
        session.execute(
            delete(LandingFile).where(LandingFile.key.startswith(prefix, autoescape=True))
        )
    session.expire_all()
    return contents
