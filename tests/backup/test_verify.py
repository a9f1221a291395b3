"""Verification names the corrupt file; an interrupted backup is never restored nor kept."""

from __future__ import annotations

import re

import pytest

from core.backup import (
    BackupError,
    BackupSources,
    DatabaseSource,
    IncompleteBackupError,
    RestoreTargets,
    RetentionPolicy,
    VerificationError,
    apply_retention,
    create_backup,
    latest_complete_backup,
    list_backups,
    restore_backup,
    verify_backup,
)
from core.backup.manifest import MANIFEST_NAME, backup_prefix
from core.backup.sources import OPERATIONAL_DATABASE
from core.backup.sqlite_files import sqlite_path
from core.db.engine import make_engine, session_scope
from core.db.repositories.backups import list_backups as catalog_backups
from tests.backup.conftest import fingerprints_of


def _flip_one_byte(store, key: str) -> None:
    data = bytearray(store.get_bytes(key))
    data[len(data) // 2] ^= 0xFF
    store.put_bytes(key, bytes(data))


def test_intact_backup_verifies(operational_sources, backup_store):
    result = create_backup(operational_sources, backup_store)
    assert verify_backup(backup_store, result.manifest.backup_id) == result.manifest


def test_one_flipped_byte_fails_verification_naming_the_file(
    operational_sources, populated_db, backup_store, fresh_db_url
):
    manifest = create_backup(operational_sources, backup_store).manifest
    key = manifest.database(OPERATIONAL_DATABASE).key
    _flip_one_byte(backup_store, f"{backup_prefix(manifest.backup_id)}/{key}")

    with pytest.raises(VerificationError, match=re.escape(f"file {key} is corrupt: sha256")):
        verify_backup(backup_store, manifest.backup_id)
    target = fresh_db_url("sqlite" if populated_db.startswith("sqlite") else "postgresql")
    with pytest.raises(VerificationError, match=re.escape(key)):
        restore_backup(backup_store, manifest.backup_id, RestoreTargets(target))
    if target.startswith("sqlite"):
        assert not sqlite_path(target).exists()
    else:
        assert fingerprints_of(target) == {}


def test_a_missing_file_fails_verification_naming_it(operational_sources, backup_store):
    manifest = create_backup(operational_sources, backup_store).manifest
    key = manifest.files[0].key
    backup_store.delete(f"{backup_prefix(manifest.backup_id)}/{key}")

    with pytest.raises(VerificationError, match=re.escape(f"file {key} is missing")):
        verify_backup(backup_store, manifest.backup_id)


def test_backup_without_manifest_is_ignored_by_restore_and_retention(
    operational_sources, backup_store, tmp_path
):
    good = create_backup(operational_sources, backup_store).manifest
    interrupted = create_backup(operational_sources, backup_store).manifest
    backup_store.delete(f"{backup_prefix(interrupted.backup_id)}/{MANIFEST_NAME}")

    listings = {listing.backup_id: listing.complete for listing in list_backups(backup_store)}
    assert listings == {good.backup_id: True, interrupted.backup_id: False}
    assert latest_complete_backup(backup_store).backup_id == good.backup_id
    with pytest.raises(IncompleteBackupError, match="interrupted"):
        restore_backup(
            backup_store,
            interrupted.backup_id,
            RestoreTargets(database_url=f"sqlite:///{tmp_path / 'never.db'}"),
        )
    with pytest.raises(IncompleteBackupError):
        verify_backup(backup_store, interrupted.backup_id)

    outcome = apply_retention(backup_store, RetentionPolicy(daily=0, weekly=0, monthly=0))
    assert outcome.kept == [good.backup_id]
    assert outcome.incomplete == [interrupted.backup_id]
    assert outcome.deleted == []
    assert backup_store.list(f"{backup_prefix(interrupted.backup_id)}/")


def test_failed_backup_writes_no_manifest_and_catalogs_the_failure(
    populated_db, backup_store, tmp_path
):
    sources = BackupSources(
        (
            DatabaseSource(OPERATIONAL_DATABASE, populated_db),
            DatabaseSource("mlflow", f"sqlite:///{tmp_path / 'missing.db'}"),
        ),
        (),
    )
    with pytest.raises(BackupError, match=r"missing\.db does not exist"):
        create_backup(sources, backup_store, catalog_url=populated_db)

    [listing] = list_backups(backup_store)
    assert not listing.complete
    engine = make_engine(populated_db)
    with session_scope(engine) as session:
        [record] = catalog_backups(session).items
        assert (record.status, record.backup_id) == ("failed", listing.backup_id)
        assert "missing.db" in record.details["error"]
    engine.dispose()
