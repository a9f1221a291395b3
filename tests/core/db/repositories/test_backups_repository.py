"""Backup catalog lifecycle."""

from __future__ import annotations

import pytest

from core.db.errors import DuplicateRecordError, InvalidStateError, RecordNotFoundError
from core.db.repositories import backups


def _start(session, backup_id: str, kind: str = "scheduled"):
    return backups.record_backup_started(
        session, backup_id=backup_id, kind=kind, location=f"s3://b/backups/{backup_id}"
    )


def test_backup_lifecycle_and_latest_good_one(session):
    _start(session, "b1")
    backups.record_backup_finished(
        session, "b1", status="succeeded", size_bytes=2048, manifest_sha256="ab" * 32
    )
    _start(session, "b2")
    backups.record_backup_finished(session, "b2", status="failed", details={"error": "disk"})
    _start(session, "b3")
    session.commit()
    latest = backups.latest_backup(session)
    assert latest.backup_id == "b1" and latest.size_bytes == 2048
    assert latest.finished_at is not None
    assert backups.latest_backup(session, status="running").backup_id == "b3"
    assert backups.get_backup(session, "b2").details == {"error": "disk"}
    assert backups.list_backups(session).total == 3


def test_catalog_refuses_bad_transitions(session):
    _start(session, "b1")
    with pytest.raises(DuplicateRecordError):
        _start(session, "b1")
    with pytest.raises(ValueError, match="final backup status"):
        backups.record_backup_finished(session, "b1", status="running")
    backups.record_backup_finished(session, "b1", status="succeeded")
    with pytest.raises(InvalidStateError):
        backups.record_backup_finished(session, "b1", status="failed")
    with pytest.raises(RecordNotFoundError):
        backups.record_backup_finished(session, "nope", status="failed")


def test_delete_removes_from_catalog(session):
    _start(session, "b1")
    backups.delete_backup(session, "b1")
    assert backups.get_backup(session, "b1") is None
    with pytest.raises(RecordNotFoundError):
        backups.delete_backup(session, "b1")
