"""Which dataset a landing file belongs to: its first path segment names it.

`<landing>/<dataset>/...` belongs to `<dataset>`. A file directly in the landing root (the
layout from before datasets) belongs to `default`. A file under a prefix that names no
dataset belongs to none: it is quarantined with the reason, never guessed into one.
"""

from __future__ import annotations

from collections.abc import Collection

from core.datasets.config import DEFAULT_DATASET

__all__ = [
    "QUARANTINE_PREFIX",
    "dataset_landing_prefixes",
    "landing_dataset",
    "unknown_prefix_reason",
]

QUARANTINE_PREFIX = "_quarantine/"  # quarantined files keep their key below it


def dataset_landing_prefixes(dataset: str) -> tuple[str, str]:
    """Where `dataset`'s files lie in the landing area: its prefix, and the same below the
    quarantine. (`default`'s files directly in the landing root are not under these.)"""
    return f"{dataset}/", f"{QUARANTINE_PREFIX}{dataset}/"


def landing_dataset(key: str, datasets: Collection[str]) -> str | None:
    """The dataset of landing file `key` among `datasets`, or None when its prefix names none."""
    prefix, slash, _ = key.partition("/")
    if not slash:
        return DEFAULT_DATASET
    return prefix if prefix in datasets else None


def unknown_prefix_reason(key: str, datasets: Collection[str]) -> str:
    prefix = key.partition("/")[0]
    known = ", ".join(sorted(datasets)[:20])
    return (
        f"{key}: {prefix!r} names no dataset (known: {known}); land files under "
        "<landing>/<dataset>/, or create the dataset first"
    )
