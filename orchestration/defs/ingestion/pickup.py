"""Incremental pickup of landing files: what is new, what is unreadable, and the staged batch."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pandas as pd

from core.covariates import Covariate
from core.datasets import DEFAULT_DATASET
from core.datasets.landing import QUARANTINE_PREFIX, landing_dataset, unknown_prefix_reason
from core.db.repositories.landing_files import is_known_file, record_landing_file
from core.storage import ObjectStore
from orchestration.defs.ingestion.landing import (
    SUPPORTED_SUFFIXES,
    LandingFile,
    UnreadableFileError,
    parse_landing_file,
)

__all__ = [
    "QUARANTINE_PREFIX",
    "PickedUp",
    "keys_by_dataset",
    "new_landing_keys",
    "pick_up_new_files",
    "quarantine_file",
]


@dataclass
class PickedUp:
    """The outcome of one pickup: rows read from new files and files set aside."""

    batch: pd.DataFrame
    files: list[tuple[str, str, int, int]] = field(default_factory=list)  # key, sha, size, rows
    quarantined_files: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)


def new_landing_keys(landing: ObjectStore) -> list[str]:
    """Keys of observation files in the landing area, quarantine excluded, oldest name first."""
    return sorted(
        key
        for key in landing.list()
        if not key.startswith(QUARANTINE_PREFIX)
        and PurePosixPath(key).suffix.lower() in SUPPORTED_SUFFIXES
    )


def keys_by_dataset(keys: list[str], datasets: Collection[str]) -> dict[str, list[str]]:
    """Landing keys grouped by the dataset that picks them up. A key under a prefix that names
    no dataset goes with `default`'s, whose run quarantines it with the reason."""
    grouped: dict[str, list[str]] = {}
    for key in keys:
        grouped.setdefault(landing_dataset(key, datasets) or DEFAULT_DATASET, []).append(key)
    return grouped


def quarantine_file(landing: ObjectStore, file: LandingFile, reason: str) -> str:
    """Move a file to the quarantine area with its reason beside it; nothing is deleted."""
    target = f"{QUARANTINE_PREFIX}{file.key}"
    landing.put_bytes(target, file.data)
    landing.put_bytes(f"{target}.reason.txt", reason.encode())
    landing.delete(file.key)
    return target


def _set_aside(session, landing: ObjectStore, file: LandingFile, reason: str) -> None:
    moved_to = quarantine_file(landing, file, reason)
    record_landing_file(
        session,
        key=file.key,
        sha256=file.sha256,
        size_bytes=len(file.data),
        status="quarantined",
        rows=0,
        error=f"{reason} (moved to {moved_to})",
    )


def pick_up_new_files(
    session,
    landing: ObjectStore,
    dataset: str = DEFAULT_DATASET,
    datasets: Collection[str] = (),
    covariates: Sequence[Covariate] = (),
) -> PickedUp:
    """Read every landing file of `dataset` not seen before (by name and content hash):
    those under `<dataset>/`, and for `default` also those in the landing root. `datasets`
    are the names of every dataset; `default`'s pickup quarantines files under a prefix
    that names none of them. `covariates` are the dataset's declared ones: the columns a
    file may hold besides its series, timestamp and value.

    Unreadable files are moved to quarantine and recorded at once; readable ones are only
    recorded as loaded after their rows are in the database (by the caller), so a failed run
    picks them up again.
    """
    known = set(datasets) | {dataset}
    frames, picked = [], PickedUp(batch=pd.DataFrame())
    for key in keys_by_dataset(new_landing_keys(landing), known).get(dataset, []):
        file = LandingFile(key=key, data=landing.get_bytes(key))
        if is_known_file(session, key, file.sha256):
            continue
        if landing_dataset(key, known) is None:
            reason = unknown_prefix_reason(key, known)
            _set_aside(session, landing, file, reason)
            picked.quarantined_files.append((key, reason))
            continue
        try:
            rows = parse_landing_file(file, covariates)
        except UnreadableFileError as exc:
            _set_aside(session, landing, file, str(exc))
            picked.quarantined_files.append((key, str(exc)))
            continue
        frames.append(rows)
        picked.files.append((key, file.sha256, len(file.data), len(rows)))
    if frames:
        picked.batch = pd.concat(frames, ignore_index=True)
    return picked
