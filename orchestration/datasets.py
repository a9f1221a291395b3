"""The pipeline runs per dataset: its assets are partitioned by dataset (one dynamic partition
key per dataset, named like it) and each step reads its dataset's configuration from the
operational database by the run's partition key, never from the global settings."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from core.datasets import DatasetConfig
from core.datasets.partitions import DATASET_PARTITIONS
from core.db.repositories.datasets import dataset_config, find_dataset
from core.db.repositories.datasets import list_datasets as _list_datasets
from core.run_tags import DATASET_TAG

__all__ = [
    "DatasetScope",
    "dataset_names",
    "dataset_partitions",
    "dataset_scope",
    "runs_per_dataset",
]

dataset_partitions = dg.DynamicPartitionsDefinition(name=DATASET_PARTITIONS)


@dataclass(frozen=True)
class DatasetScope:
    """The dataset a step works on: its id (for scoped reads and writes) and configuration."""

    id: int
    config: DatasetConfig

    @property
    def name(self) -> str:
        return self.config.name


def dataset_scope(context: dg.AssetExecutionContext, database) -> DatasetScope:
    """The dataset of the run's partition key, as stored now; a deleted dataset fails the
    step with the known ones named."""
    with database.session() as session:
        dataset = find_dataset(session, context.partition_key)
        return DatasetScope(id=dataset.id, config=dataset_config(dataset))


def dataset_names(database) -> list[str]:
    with database.session() as session:
        return [dataset.name for dataset in _list_datasets(session)]


def runs_per_dataset(instance: dg.DagsterInstance, run_key: str | None = None):
    """One run request per dataset partition, tagged with its dataset."""
    for dataset in sorted(instance.get_dynamic_partitions(DATASET_PARTITIONS)):
        yield dg.RunRequest(
            run_key=f"{run_key}:{dataset}" if run_key else None,
            partition_key=dataset,
            tags={DATASET_TAG: dataset},
        )
