"""The backup, dr_drill and restore jobs in the code location, run in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from core.backup import list_backups
from core.backup.mlflow_paths import rewrite_artifact_root
from core.db.engine import make_engine, session_scope
from core.db.migrate import current, head
from core.db.repositories.backups import list_backups as catalog_backups
from core.settings import get_settings
from orchestration.definitions import build_definitions
from orchestration.resources import BackupVault
from tests.backup.conftest import fingerprints_of, populate


@pytest.fixture
def settings(db_url, mlflow_source, isolated_settings: Path, monkeypatch):
    """A home whose operational DB is `db_url` and whose MLflow store copies the source."""
    root = isolated_settings / "mlflow"
    shutil.copytree(mlflow_source.artifact_root, root / "artifacts")
    shutil.copyfile(mlflow_source.tracking_uri.removeprefix("sqlite:///"), root / "mlflow.db")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    rewrite_artifact_root(uri, mlflow_source.artifact_root.as_uri(), (root / "artifacts").as_uri())
    monkeypatch.setenv("QUANTIS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    populate(db_url)
    return get_settings().ensure_home()


@pytest.fixture
def run(settings):
    defs = build_definitions(settings)
    instance = dg.DagsterInstance.ephemeral()

    def execute(job: str, run_config: dict | None = None):
        return defs.resolve_job_def(job).execute_in_process(
            run_config=run_config or {}, instance=instance, raise_on_error=False
        )

    return execute


def _materialization(result, key: list[str]) -> dict:
    [event] = [
        e.event_specific_data.materialization
        for e in result.all_events
        if e.is_step_materialization
        and e.event_specific_data.materialization.asset_key == dg.AssetKey(key)
    ]
    return {name: value.value for name, value in event.metadata.items()}


def test_backup_job_backs_up_catalogs_and_applies_retention(run, settings):
    first = run("backup")
    second = run("backup")

    assert first.success and second.success
    metadata = _materialization(second, ["backup", "latest_backup"])
    store = BackupVault.from_settings(settings).open_store()
    # Default retention keeps one backup per day: the second replaces the first.
    [kept] = list_backups(store)
    assert kept.backup_id == metadata["backup_id"] and kept.complete
    assert metadata["size_bytes"] == kept.manifest.total_bytes
    assert metadata["rows"]["operational"] > 4 * 36
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        records = catalog_backups(session, kind="full").items
        assert [(r.backup_id, r.status) for r in records] == [(kept.backup_id, "succeeded")]
    engine.dispose()


def test_dr_drill_job_reports_rto_and_rpo_as_metadata(run):
    assert run("backup").success
    result = run("dr_drill")

    assert result.success
    metadata = _materialization(result, ["backup", "dr_drill"])
    assert metadata["rto_seconds"] > 0 and metadata["rpo_seconds"] > 0
    assert metadata["champion_version"] == "1"
    assert metadata["champion_forecast_rows"] > 0


def test_dr_drill_job_fails_without_any_backup(run):
    result = run("dr_drill")
    assert not result.success
    assert "no complete backup" in str(result.failure_data_for_node("restore_drill").error)


def test_restore_job_restores_and_refuses_a_target_holding_data(run, db_url, fresh_db_url):
    assert run("backup").success
    target = fresh_db_url("sqlite" if db_url.startswith("sqlite") else "postgresql")
    config = {
        "ops": {
            "restore_from_backup": {
                "config": {"backup_id": "latest", "target_database_url": target}
            }
        }
    }

    restored = run("restore", config)
    refused = run("restore", config)

    assert restored.success
    assert fingerprints_of(target)["observations"].rows == 4 * 36
    assert current(target) == head()
    assert not refused.success
    error = str(refused.failure_data_for_node("restore_from_backup").error)
    assert "already hold data" in error


def test_schedules_run_backup_daily_and_drill_weekly(settings):
    defs = build_definitions(settings)
    schedules = {s.name: s for s in defs.schedules}
    assert schedules["backup_daily"].job_name == "backup"
    assert schedules["backup_daily"].cron_schedule == "0 2 * * *"
    assert schedules["dr_drill_weekly"].job_name == "dr_drill"
    assert schedules["dr_drill_weekly"].cron_schedule == "0 5 * * 0"
    assert defs.resolve_job_def("restore")
    assert isinstance(defs.resources["backup_vault"], BackupVault)
