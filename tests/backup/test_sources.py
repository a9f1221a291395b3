"""What a backup covers, resolved from settings through the one path the job, the CLI and the
drill use (`BackupVault.sources()`); sources it cannot dump are refused by name."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.backup import BackupError, BackupSources, create_backup
from core.backup.postgres import pg_dump
from core.backup.sources import MLFLOW_DATABASE, OPERATIONAL_DATABASE, database_kind
from core.settings import load_settings
from core.storage import open_object_store
from orchestration.resources import BackupVault


def _sources(settings) -> BackupSources:
    return BackupVault.from_settings(settings).sources()


def test_sources_from_settings_cover_database_mlflow_artifacts_and_dagster(tmp_path: Path):
    settings = load_settings(home=tmp_path / "home")
    (settings.dagster_home / "history" / "runs").mkdir(parents=True)
    for name in ("history/runs.db", "history/runs/abc.db", "schedules.db"):
        sqlite3.connect(settings.dagster_home / name).close()

    sources = _sources(settings)

    names = [source.name for source in sources.all_databases()]
    assert names[:2] == [OPERATIONAL_DATABASE, MLFLOW_DATABASE]
    assert set(names[2:]) == {
        "dagster/history/runs.db",
        "dagster/history/runs/abc.db",
        "dagster/schedules.db",
    }
    assert sources.databases[0].required and not sources.databases[1].required
    assert sources.folders[0].location == settings.mlflow_artifact_root


def test_a_tracking_server_url_needs_the_backend_store_uri(tmp_path: Path):
    settings = load_settings(home=tmp_path, mlflow_tracking_uri="http://mlflow:5000")
    with pytest.raises(ValueError, match="QUANTIS_MLFLOW_BACKEND_STORE_URI"):
        _sources(settings)
    store = "postgresql://mlflow@db:5432/mlflow"
    sources = _sources(settings.model_copy(update={"mlflow_backend_store_uri": store}))
    assert sources.databases[1].url == store


def test_only_sqlite_and_postgresql_can_be_dumped():
    assert database_kind("postgresql+psycopg://u@h/d") == "postgresql"
    assert database_kind("sqlite:////tmp/x.db") == "sqlite"
    with pytest.raises(ValueError, match="only SQLite files and PostgreSQL"):
        database_kind("mysql://u:secret@h/d")


def test_unreachable_postgres_fails_without_showing_the_password(tmp_path: Path):
    with pytest.raises(BackupError, match="pg_dump of quantis failed") as caught:
        pg_dump("postgresql://quantis:hunter2@127.0.0.1:1/quantis", tmp_path / "dump")
    assert "hunter2" not in str(caught.value)
    sources = _sources(
        load_settings(home=tmp_path, database_url="postgresql://quantis:hunter2@127.0.0.1:1/q")
    )
    with pytest.raises(BackupError, match="cannot read the operational database") as failed:
        create_backup(sources, open_object_store(str(tmp_path / "backups")))
    assert "hunter2" not in str(failed.value)
