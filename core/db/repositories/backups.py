"""Backup catalog: record a backup's start and outcome, find the latest good one, prune."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.db.errors import DuplicateRecordError, InvalidStateError, RecordNotFoundError
from core.db.repositories.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from core.db.tables import BACKUP_STATUSES, BackupRecord
from core.db.types import utc_now

__all__ = [
    "BACKUP_KIND",
    "DRILL_KIND",
    "delete_backup",
    "get_backup",
    "latest_backup",
    "list_backups",
    "record_backup_finished",
    "record_backup_started",
]

# Catalog kinds: a full backup, and a restore drill (its own entry, with its outcome).
BACKUP_KIND = "full"
DRILL_KIND = "dr_drill"
_FINAL_STATUSES = tuple(status for status in BACKUP_STATUSES if status != "running")


def record_backup_started(
    session: Session,
    *,
    backup_id: str,
    kind: str,
    location: str,
    details: dict[str, Any] | None = None,
) -> BackupRecord:
    """Catalog a backup that has begun (status `running`)."""
    if get_backup(session, backup_id) is not None:
        raise DuplicateRecordError(f"backup {backup_id!r} is already in the catalog")
    record = BackupRecord(
        backup_id=backup_id,
        kind=kind,
        location=location,
        status="running",
        details=dict(details or {}),
    )
    session.add(record)
    session.flush()
    return record


def record_backup_finished(
    session: Session,
    backup_id: str,
    *,
    status: str,
    size_bytes: int | None = None,
    manifest_sha256: str | None = None,
    details: dict[str, Any] | None = None,
) -> BackupRecord:
    """Close a running backup as `succeeded` or `failed`; `details` are merged in."""
    if status not in _FINAL_STATUSES:
        raise ValueError(f"final backup status must be one of {_FINAL_STATUSES}, got {status!r}")
    record = get_backup(session, backup_id)
    if record is None:
        raise RecordNotFoundError(f"backup {backup_id!r} is not in the catalog")
    if record.status != "running":
        raise InvalidStateError(f"backup {backup_id!r} already finished as {record.status}")
    record.status, record.finished_at = status, utc_now()
    record.size_bytes, record.manifest_sha256 = size_bytes, manifest_sha256
    record.details = {**record.details, **(details or {})}
    session.flush()
    return record


def get_backup(session: Session, backup_id: str) -> BackupRecord | None:
    return session.scalar(select(BackupRecord).where(BackupRecord.backup_id == backup_id))


def list_backups(
    session: Session,
    *,
    status: str | None = None,
    kind: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    offset: int = 0,
) -> Page[BackupRecord]:
    """Backups, newest first."""
    query = select(BackupRecord).order_by(BackupRecord.started_at.desc(), BackupRecord.id.desc())
    if status is not None:
        query = query.where(BackupRecord.status == status)
    if kind is not None:
        query = query.where(BackupRecord.kind == kind)
    return paginate(session, query, limit, offset)


def latest_backup(
    session: Session, status: str = "succeeded", kind: str | None = None
) -> BackupRecord | None:
    """The newest backup with `status` (default: the latest good one to restore from)."""
    page = list_backups(session, status=status, kind=kind, limit=1)
    return page.items[0] if page.items else None


def delete_backup(session: Session, backup_id: str) -> None:
    """Remove a backup from the catalog (after its objects were deleted by retention)."""
    deleted = session.execute(
        delete(BackupRecord).where(BackupRecord.backup_id == backup_id)
    ).rowcount
    if not deleted:
        raise RecordNotFoundError(f"backup {backup_id!r} is not in the catalog")
    session.expire_all()
