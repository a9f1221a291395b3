"""Backups and disaster recovery of the platform's state, as plain functions over stores.

A backup is a set of files under `backups/<YYYY-MM-DD>/<backup_id>/` in an object store:
consistent dumps of the operational database and the MLflow backend store (PostgreSQL
`pg_dump -Fc`, SQLite online backup API), the MLflow artifacts, the Dagster SQLite storage,
and `manifest.json` (sizes, sha256 of every file, versions, row counts and content
checksums per table), written last: a backup without a manifest is incomplete and ignored.

    sources = BackupVault.from_settings(settings).sources()   # orchestration.resources
    result = create_backup(sources, store)
    verify_backup(store, result.manifest.backup_id)
    restore_backup(store, backup_id, RestoreTargets(database_url=...))

The same functions back the Dagster jobs (`orchestration/defs/backup`) and `quantis backup`.
"""

from core.backup.create import BackupResult, create_backup
from core.backup.drill import DrillReport, run_drill
from core.backup.errors import (
    BackupError,
    BackupNotFoundError,
    IncompleteBackupError,
    RestoreRefusedError,
    VerificationError,
)
from core.backup.listing import BackupListing, latest_complete_backup, list_backups, load_manifest
from core.backup.manifest import Manifest
from core.backup.restore import RestoreReport, RestoreTargets, restore_backup
from core.backup.retention import RetentionPolicy, apply_retention, select_backups_to_keep
from core.backup.sources import BackupSources, DatabaseSource, FolderSource
from core.backup.verify import verify_backup

__all__ = [
    "BackupError",
    "BackupListing",
    "BackupNotFoundError",
    "BackupResult",
    "BackupSources",
    "DatabaseSource",
    "DrillReport",
    "FolderSource",
    "IncompleteBackupError",
    "Manifest",
    "RestoreRefusedError",
    "RestoreReport",
    "RestoreTargets",
    "RetentionPolicy",
    "VerificationError",
    "apply_retention",
    "create_backup",
    "latest_complete_backup",
    "list_backups",
    "load_manifest",
    "restore_backup",
    "run_drill",
    "select_backups_to_keep",
    "verify_backup",
]
