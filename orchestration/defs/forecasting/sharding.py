"""Series shards: the static partitions of `batch_forecasts`, one per slice of the series."""

from __future__ import annotations

import dagster as dg

__all__ = ["shard_keys", "shard_of", "shard_partitions"]


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
