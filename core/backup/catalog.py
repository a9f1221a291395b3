"""Backups and drills in the operational database's backup catalog (`backup_catalog`)."""

from __future__ import annotations

from typing import Any

from core.backup.manifest import Manifest
from core.db.engine import make_engine, session_scope
from core.db.repositories import backups
from core.db.repositories.backups import BACKUP_KIND, DRILL_KIND

__all__ = [
    "BACKUP_KIND",
    "DRILL_KIND",
    "record_drill",
    "record_failed",
    "record_started",
    "record_succeeded",
]


def _write(url: str, action: Any) -> None:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            action(session)
    finally:
        engine.dispose()


def record_started(url: str, backup_id: str, location: str) -> None:
    _write(
        url,
        lambda s: backups.record_backup_started(
            s, backup_id=backup_id, kind=BACKUP_KIND, location=location
        ),
    )


def record_failed(url: str, backup_id: str, error: BaseException) -> None:
    details = {"error": f"{type(error).__name__}: {error}"[:2000]}
    _write(
        url,
        lambda s: backups.record_backup_finished(s, backup_id, status="failed", details=details),
    )


def record_succeeded(url: str, manifest: Manifest, manifest_sha256: str, seconds: float) -> None:
    details = {
        "files": len(manifest.files),
        "rows": {
            entry.name: sum(fp.rows for fp in entry.tables.values()) for entry in manifest.databases
        },
        "seconds": round(seconds, 3),
    }
    _write(
        url,
        lambda s: backups.record_backup_finished(
            s,
            manifest.backup_id,
            status="succeeded",
            size_bytes=manifest.total_bytes,
            manifest_sha256=manifest_sha256,
            details=details,
        ),
    )


def record_drill(
    url: str, drill_id: str, location: str, succeeded: bool, details: dict[str, Any]
) -> None:
    """A drill is its own catalog entry (kind `dr_drill`) with its RTO, RPO and outcome."""

    def write(session: Any) -> None:
        backups.record_backup_started(
            session, backup_id=drill_id, kind=DRILL_KIND, location=location, details=details
        )
        backups.record_backup_finished(
            session, drill_id, status="succeeded" if succeeded else "failed"
        )

    _write(url, write)
