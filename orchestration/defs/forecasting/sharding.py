"""The partitions of `batch_forecasts`: dataset x series shard. The dataset dimension is the
pipeline's dynamic `datasets` partitions; the shard dimension is static, one key per slice of
a dataset's series."""

from __future__ import annotations

import dagster as dg

from orchestration.datasets import dataset_partitions

__all__ = [
    "DATASET_DIMENSION",
    "SHARD_DIMENSION",
    "batch_key",
    "batch_keys",
    "batch_partitions",
    "dataset_and_shard",
    "shard_keys",
    "shard_of",
    "shard_partitions",
]

DATASET_DIMENSION = "dataset"
SHARD_DIMENSION = "shard"


def shard_keys(shards: int) -> list[str]:
    """`shard-0-of-4`, ...: each key names its index and the count it belongs to, so a key
    from a run with another shard count is never taken for one of this set."""
    if shards < 1:
        raise ValueError(f"the number of shards must be >= 1, got {shards}")
    return [f"shard-{index}-of-{shards}" for index in range(shards)]


def shard_of(key: str) -> tuple[int, int]:
    """(index, count) of a shard key."""
    try:
        prefix, index, of, count = key.split("-")
        if prefix != "shard" or of != "of":
            raise ValueError
        shard, shards = int(index), int(count)
    except ValueError:
        raise ValueError(f"not a shard key: {key!r} (expected 'shard-<i>-of-<n>')") from None
    if not 0 <= shard < shards:
        raise ValueError(f"shard key {key!r} names shard {shard} outside 0..{shards - 1}")
    return shard, shards


def shard_partitions(shards: int) -> dg.StaticPartitionsDefinition:
    return dg.StaticPartitionsDefinition(shard_keys(shards))


def batch_partitions(shards: int) -> dg.MultiPartitionsDefinition:
    """Dataset x shard: a new dataset gets its shards without a code change."""
    return dg.MultiPartitionsDefinition(
        {DATASET_DIMENSION: dataset_partitions, SHARD_DIMENSION: shard_partitions(shards)}
    )


def batch_key(dataset: str, shard_key: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({DATASET_DIMENSION: dataset, SHARD_DIMENSION: shard_key})


def batch_keys(dataset: str, shards: int) -> list[dg.MultiPartitionKey]:
    """Every shard of one dataset."""
    return [batch_key(dataset, key) for key in shard_keys(shards)]


def dataset_and_shard(key: dg.MultiPartitionKey | str) -> tuple[str, int, int]:
    """(dataset, shard index, shard count) of a batch partition key (a `MultiPartitionKey`,
    or its string `<dataset>|<shard key>`: the dimensions in name order)."""
    if isinstance(key, dg.MultiPartitionKey):
        dataset, shard_key = (
            key.keys_by_dimension[DATASET_DIMENSION],
            key.keys_by_dimension[SHARD_DIMENSION],
        )
    else:
        parts = str(key).split("|")
        if len(parts) != 2:
            raise ValueError(
                f"not a dataset x shard key: {key!r} (expected '<dataset>|shard-<i>-of-<n>')"
            )
        dataset, shard_key = parts
    shard, shards = shard_of(shard_key)
    return dataset, shard, shards
