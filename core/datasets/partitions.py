"""Datasets as Dagster dynamic partitions: one partition key per dataset, named like it.

api/ and core/ cannot import orchestration/, so the partitions definition's name lives here
and the sync takes the Dagster instance it works on (anything with Dagster's
`get_dynamic_partitions`, `add_dynamic_partitions` and `delete_dynamic_partition`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["DATASET_PARTITIONS", "PartitionChanges", "partition_changes", "sync_dataset_partitions"]

# Name of the `DynamicPartitionsDefinition` the pipeline assets are partitioned by.
DATASET_PARTITIONS = "datasets"


@dataclass(frozen=True)
class PartitionChanges:
    """Partition keys to add (datasets without one) and to delete (deleted datasets)."""

    add: tuple[str, ...]
    delete: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.add or self.delete)


def partition_changes(existing: Iterable[str], datasets: Iterable[str]) -> PartitionChanges:
    """What makes the partition keys `existing` equal to the dataset names `datasets`."""
    have, want = set(existing), set(datasets)
    return PartitionChanges(add=tuple(sorted(want - have)), delete=tuple(sorted(have - want)))


def sync_dataset_partitions(instance: Any, datasets: Iterable[str]) -> PartitionChanges:
    """Make the instance's `datasets` partition keys the dataset names; what changed."""
    changes = partition_changes(instance.get_dynamic_partitions(DATASET_PARTITIONS), datasets)
    if changes.add:
        instance.add_dynamic_partitions(DATASET_PARTITIONS, list(changes.add))
    for key in changes.delete:
        instance.delete_dynamic_partition(DATASET_PARTITIONS, key)
    return changes
