"""Landing files already handled, so each file (by key and content hash) is loaded once.

A file is recorded `loaded` only after its rows are in the database, so a failed run
picks it up again; an unreadable file is recorded `quarantined` at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.tables import LANDING_FILE_STATUSES, LandingFile
from core.db.types import utc_now

__all__ = [
    "is_known_file",
    "is_known_key",
    "list_landing_files",
    "mark_files_loaded",
    "record_landing_file",
]


def _find(session: Session, key: str, sha256: str) -> LandingFile | None:
    return session.scalar(
        select(LandingFile).where(LandingFile.key == key, LandingFile.sha256 == sha256)
    )


def is_known_key(session: Session, key: str) -> bool:
    """Whether any version of the file under `key` was handled."""
    return session.scalar(select(LandingFile.id).where(LandingFile.key == key).limit(1)) is not None


def is_known_file(session: Session, key: str, sha256: str) -> bool:
    """Whether this exact content under `key` was handled."""
    return _find(session, key, sha256) is not None


def record_landing_file(
    session: Session,
    *,
    key: str,
    sha256: str,
    size_bytes: int,
    status: str,
    rows: int,
    error: str | None = None,
    run_id: str | None = None,
) -> LandingFile:
    """Record a handled file; recording the same key and hash again updates the record."""
    if status not in LANDING_FILE_STATUSES:
        raise ValueError(f"landing file status must be one of {LANDING_FILE_STATUSES}: {status!r}")
    record = _find(session, key, sha256) or LandingFile(key=key, sha256=sha256)
    record.size_bytes, record.rows, record.status = int(size_bytes), int(rows), status
    record.error, record.run_id, record.recorded_at = error, run_id, utc_now()
    session.add(record)
    session.flush()
    return record


def mark_files_loaded(
    session: Session, files: Iterable[Sequence[Any]], run_id: str | None = None
) -> int:
    """Record `(key, sha256, size_bytes, rows)` entries as loaded; returns how many."""
    count = 0
    for entry in files:
        if len(entry) != 4:
            raise ValueError(f"expected (key, sha256, size_bytes, rows), got {entry!r}")
        key, sha256, size_bytes, rows = entry
        record_landing_file(
            session,
            key=str(key),
            sha256=str(sha256),
            size_bytes=int(size_bytes),
            rows=int(rows),
            status="loaded",
            run_id=run_id,
        )
        count += 1
    return count


def list_landing_files(session: Session, status: str | None = None) -> list[LandingFile]:
    """Handled files, most recently recorded first."""
    query = select(LandingFile).order_by(LandingFile.recorded_at.desc(), LandingFile.id.desc())
    if status is not None:
        query = query.where(LandingFile.status == status)
    return list(session.scalars(query))
