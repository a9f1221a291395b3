"""Incremental pickup of landing files: what is new, what is unreadable, and the staged batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pandas as pd

from core.db.repositories.landing_files import is_known_file, record_landing_file
from core.storage import ObjectStore
from orchestration.defs.ingestion.landing import (
    SUPPORTED_SUFFIXES,
    LandingFile,
    UnreadableFileError,
    parse_landing_file,
)

__all__ = ["QUARANTINE_PREFIX", "PickedUp", "pick_up_new_files", "quarantine_file"]

QUARANTINE_PREFIX = "_quarantine/"


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


def quarantine_file(landing: ObjectStore, file: LandingFile, reason: str) -> str:
    """Move a file to the quarantine area with its reason beside it; nothing is deleted."""
    target = f"{QUARANTINE_PREFIX}{file.key}"
    landing.put_bytes(target, file.data)
    landing.put_bytes(f"{target}.reason.txt", reason.encode())
    landing.delete(file.key)
    return target


def pick_up_new_files(session, landing: ObjectStore) -> PickedUp:
    """Read every landing file not seen before (by name and content hash).

    Unreadable files are moved to quarantine and recorded at once; readable ones are only
    recorded as loaded after their rows are in the database (by the caller), so a failed run
    picks them up again.
    """
    frames, picked = [], PickedUp(batch=pd.DataFrame())
    for key in new_landing_keys(landing):
        file = LandingFile(key=key, data=landing.get_bytes(key))
        if is_known_file(session, key, file.sha256):
            continue
        try:
            rows = parse_landing_file(file)
        except UnreadableFileError as exc:
            moved_to = quarantine_file(landing, file, str(exc))
            record_landing_file(
                session,
                key=key,
                sha256=file.sha256,
                size_bytes=len(file.data),
                status="quarantined",
                rows=0,
                error=f"{exc} (moved to {moved_to})",
            )
            picked.quarantined_files.append((key, str(exc)))
            continue
        frames.append(rows)
        picked.files.append((key, file.sha256, len(file.data), len(rows)))
    if frames:
        picked.batch = pd.concat(frames, ignore_index=True)
    return picked
