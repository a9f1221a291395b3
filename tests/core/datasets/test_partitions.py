"""The `datasets` partitions follow the datasets table: added for new, deleted for gone."""

from __future__ import annotations

import dagster as dg

from core.datasets.partitions import DATASET_PARTITIONS, partition_changes, sync_dataset_partitions


def test_changes_add_the_missing_and_delete_the_gone():
    changes = partition_changes(["default", "old"], ["default", "web", "daily"])
    assert (changes.add, changes.delete) == (("daily", "web"), ("old",))
    assert not partition_changes(["a"], ["a"])


def test_sync_makes_the_instance_partitions_the_dataset_names():
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(DATASET_PARTITIONS, ["default", "deleted"])
    changes = sync_dataset_partitions(instance, ["default", "monthly"])
    assert changes.add == ("monthly",) and changes.delete == ("deleted",)
    assert sorted(instance.get_dynamic_partitions(DATASET_PARTITIONS)) == ["default", "monthly"]
    assert not sync_dataset_partitions(instance, ["default", "monthly"])  # nothing left to do
