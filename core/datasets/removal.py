"""What deleting a dataset removes outside the operational database: its landing files (and
quarantined files) and its MLflow registered model, so a dataset created again under the same
name starts clean (no old champion served, no old file taken for ingested).

The database rows go first, in one transaction (`core.db.repositories.datasets.
delete_dataset`); what follows here is done one item at a time and says what it could not do,
so a person can finish it by hand: nothing is half-removed silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.datasets.config import DEFAULT_DATASET
from core.datasets.landing import dataset_landing_prefixes
from core.settings import Settings
from core.storage import ObjectStore

__all__ = [
    "OutsideRemoval",
    "dataset_landing_keys",
    "outside_database",
    "remove_outside_database",
]


@dataclass
class OutsideRemoval:
    """What was removed outside the database, and what could not be."""

    landing_files: int = 0
    registered_model: str | None = None  # its name, when it was deleted
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.landing_files} landing file(s)"]
        parts.append(
            f"registered model {self.registered_model!r}"
            if self.registered_model
            else "no registered model"
        )
        return ", ".join(parts)


def dataset_landing_keys(landing: ObjectStore, dataset: str) -> list[str]:
    """Every key of `dataset` in the landing area: its files and its quarantined ones."""
    if dataset == DEFAULT_DATASET:
        raise ValueError(f"the {DEFAULT_DATASET!r} dataset's files are not removed this way")
    return sorted(
        key for prefix in dataset_landing_prefixes(dataset) for key in landing.list(prefix)
    )


def remove_outside_database(dataset: str, *, landing: ObjectStore, registry) -> OutsideRemoval:
    """Remove `dataset`'s landing files and its registered model (`registry`: a
    `core.registry.ModelRegistry` of the dataset's registered model); every failure is kept
    in `problems` with what is left, and the rest still goes."""
    removed = OutsideRemoval()
    try:
        keys = dataset_landing_keys(landing, dataset)
    except Exception as error:  # a store that cannot be listed: say so, go on
        removed.problems.append(f"could not list the landing files of {dataset!r}: {error}")
        keys = []
    for key in keys:
        try:
            landing.delete(key)
            removed.landing_files += 1
        except Exception as error:
            removed.problems.append(f"landing file {landing.uri(key)} is left: {error}")
    try:
        if registry.delete():
            removed.registered_model = registry.model_name
    except Exception as error:
        removed.problems.append(
            f"registered model {registry.model_name!r} is left (delete it in MLflow): {error}"
        )
    return removed


def outside_database(settings: Settings, dataset: str):
    """The landing store and the registry of `dataset`'s registered model, as the settings
    name them."""
    from core.mlflow_names import registered_model_name
    from core.registry import ModelRegistry
    from core.storage.factory import open_object_store

    landing = open_object_store(settings.landing_url, s3_endpoint_url=settings.s3_endpoint_url)
    name = registered_model_name(settings.registered_model_name, dataset)
    return landing, ModelRegistry(settings.mlflow_tracking_uri, name)
