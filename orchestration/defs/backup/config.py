"""Launchpad configuration of the backup jobs."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from core.backup.listing import LATEST

__all__ = ["BackupConfig", "DrillConfig", "RestoreConfig"]


class BackupConfig(dg.Config):
    apply_retention: bool = Field(
        default=True,
        description="Delete the backups the retention policy no longer keeps (after this one "
        "succeeded; the newest complete backup is always kept).",
    )


class DrillConfig(dg.Config):
    backup_id: str = Field(
        default=LATEST, description="Backup to drill on; `latest` = newest complete backup."
    )


class RestoreConfig(dg.Config):
    backup_id: str = Field(
        description="Backup to restore (see `quantis backup list`); `latest` = newest complete."
    )
    target_database_url: str | None = Field(
        default=None, description="Operational database to restore into (SQLite or PostgreSQL)."
    )
    target_mlflow_database_url: str | None = Field(
        default=None, description="MLflow backend store to restore into."
    )
    target_mlflow_artifact_root: str | None = Field(
        default=None,
        description="Folder or s3:// root for the MLflow artifacts; the restored MLflow store "
        "is pointed at it.",
    )
    target_dagster_home: str | None = Field(
        default=None,
        description="DAGSTER_HOME to restore Dagster's SQLite storage into (not the live one "
        "this job runs on: restore that with `quantis backup restore` while Dagster is stopped).",
    )
    overwrite: bool = Field(
        default=False,
        description="Replace targets that already hold data. The targets stay unchanged "
        "whenever verification fails, overwrite or not.",
    )
