"""The drill restores into scratch, proves the champion loads, and records RTO and RPO."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text

from core.backup import (
    BackupSources,
    DatabaseSource,
    FolderSource,
    VerificationError,
    create_backup,
    run_drill,
)
from core.backup.catalog import DRILL_KIND
from core.backup.manifest import backup_prefix
from core.backup.mlflow_paths import rewrite_artifact_root
from core.backup.sources import MLFLOW_ARTIFACTS, MLFLOW_DATABASE, OPERATIONAL_DATABASE
from core.db.engine import make_engine, session_scope
from core.db.repositories.backups import list_backups as catalog_backups
from core.db.types import utc_now
from orchestration.defs.backup.champion import champion_check
from tests.backup.conftest import MODEL_NAME, add_dataset


@pytest.fixture
def own_mlflow(mlflow_source, tmp_path):
    """A private copy of the MLflow source, so the test may destroy it after the backup."""
    root = tmp_path / "own-mlflow"
    shutil.copytree(mlflow_source.artifact_root, root / "artifacts")
    shutil.copyfile(mlflow_source.tracking_uri.removeprefix("sqlite:///"), root / "mlflow.db")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    rewrite_artifact_root(uri, mlflow_source.artifact_root.as_uri(), (root / "artifacts").as_uri())
    return uri, root


def _catalog(url: str, kind: str):
    engine = make_engine(url)
    with session_scope(engine) as session:
        records = list(catalog_backups(session, kind=kind).items)
    engine.dispose()
    return records


def test_drill_on_a_lost_installation_restores_the_champion_and_reports_rto_rpo(
    populated_db, own_mlflow, backup_store, postgres_server_url_or_none, tmp_path, monkeypatch
):
    from mlflow.tracking._model_registry import utils as registry_utils

    # A process-wide registry URI elsewhere must not steer the drill away from its restore.
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setattr(registry_utils, "_registry_uri", elsewhere)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", elsewhere)
    uri, root = own_mlflow
    add_dataset(populated_db, "web", series=2, length=10)  # no model registered for it yet
    sources = BackupSources(
        (DatabaseSource(OPERATIONAL_DATABASE, populated_db), DatabaseSource(MLFLOW_DATABASE, uri)),
        (FolderSource(MLFLOW_ARTIFACTS, str(root / "artifacts")),),
    )
    backup = create_backup(sources, backup_store).manifest
    shutil.rmtree(root)  # the disaster: MLflow store and artifacts are gone

    report = run_drill(
        backup_store,
        champion_check=champion_check(MODEL_NAME),
        postgres_server_url=postgres_server_url_or_none,
        catalog_url=populated_db,
    )

    assert report.backup_id == backup.backup_id
    assert report.champion["forecast_rows"] == 3 * 6
    assert report.champions["default"] == report.champion
    assert report.champions["web"] == {"champion_version": "none", "forecast_rows": 0}
    assert {name: counts["observations"] for name, counts in report.datasets.items()} == {
        "default": 4 * 36,
        "web": 2 * 10,
    }
    assert report.rto_seconds >= report.restore_seconds > 0
    assert report.backup_taken_at == backup.started_at
    assert 0 < report.rpo_seconds <= (utc_now() - backup.started_at).total_seconds()
    assert report.rows_verified == sum(
        fp.rows for db in backup.databases for fp in db.tables.values()
    )
    [record] = _catalog(populated_db, DRILL_KIND)
    assert record.status == "succeeded"
    assert record.details["rto_seconds"] == pytest.approx(report.rto_seconds)
    assert record.details["backup_id"] == backup.backup_id


def test_drill_fails_loudly_on_a_corrupt_backup_and_catalogs_the_failure(
    operational_sources, populated_db, backup_store, postgres_server_url_or_none
):
    backup = create_backup(operational_sources, backup_store).manifest
    key = f"{backup_prefix(backup.backup_id)}/{backup.files[0].key}"
    backup_store.put_bytes(key, b"not a database")

    with pytest.raises(VerificationError, match=backup.files[0].key):
        run_drill(
            backup_store, postgres_server_url=postgres_server_url_or_none, catalog_url=populated_db
        )

    [record] = _catalog(populated_db, DRILL_KIND)
    assert record.status == "failed"
    assert backup.files[0].key in record.details["error"]


@pytest.mark.postgres
def test_drill_drops_its_scratch_databases(
    postgres_server, operational_sources_pg, backup_store, postgres_session_db_url
):
    create_backup(operational_sources_pg, backup_store)
    run_drill(backup_store, postgres_server_url=postgres_session_db_url)
    with postgres_server.admin.connect() as connection:
        names = connection.scalars(text("SELECT datname FROM pg_database")).all()
    assert not [name for name in names if name.startswith("quantis_drill_")]
