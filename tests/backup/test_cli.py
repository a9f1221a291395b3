"""`quantis backup list | create | verify | restore | drill` over the settings' home."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from core.backup import list_backups
from core.backup.manifest import backup_prefix
from core.db.migrate import upgrade
from core.settings import get_settings
from orchestration.resources import BackupVault
from quantis.commands import backup
from tests.backup.conftest import fingerprints_of, populate


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(backup.app, name="backup")
    return app


@pytest.fixture
def home_db() -> str:
    """The settings' own SQLite database, migrated and populated (no MLflow store yet)."""
    url = get_settings().ensure_home().database_url
    upgrade(url)
    populate(url)
    return url


def _run(cli, *args: str):
    return CliRunner().invoke(cli, ["backup", *args])


def _store():
    return BackupVault.from_settings(get_settings()).open_store()


def test_create_list_verify_restore(cli, home_db, tmp_path):
    created = _run(cli, "create")
    assert created.exit_code == 0, created.output
    [listing] = list_backups(_store())
    assert listing.manifest.skipped == {"mlflow": listing.manifest.skipped["mlflow"]}

    listed = _run(cli, "list")
    assert listing.backup_id in listed.output and "complete" in listed.output
    verified = _run(cli, "verify", listing.backup_id)
    assert verified.exit_code == 0 and "intact" in verified.output

    target = f"sqlite:///{tmp_path / 'restored.db'}"
    restored = _run(cli, "restore", "latest", "--target", target)
    assert restored.exit_code == 0, restored.output
    assert fingerprints_of(target) == fingerprints_of(home_db) | {
        "backup_catalog": fingerprints_of(target)["backup_catalog"]
    }

    refused = _run(cli, "restore", listing.backup_id, "--target", target)
    assert refused.exit_code == 1 and "already hold data" in refused.output
    overwritten = _run(cli, "restore", listing.backup_id, "--target", target, "--overwrite")
    assert overwritten.exit_code == 0, overwritten.output


def test_verify_names_the_corrupt_file(cli, home_db):
    assert _run(cli, "create").exit_code == 0
    [listing] = list_backups(_store())
    key = listing.manifest.files[0].key
    _store().put_bytes(f"{backup_prefix(listing.backup_id)}/{key}", b"garbage")

    result = _run(cli, "verify", listing.backup_id)

    assert result.exit_code == 1
    assert key in result.output


def test_drill_reports_rto(cli, home_db):
    assert _run(cli, "create").exit_code == 0
    result = _run(cli, "drill")
    assert result.exit_code == 0, result.output
    assert "RTO" in result.output and "champion none" in result.output


def test_unknown_backup_fails_with_a_message(cli, home_db):
    result = _run(cli, "verify", "20200101T000000Z-abcdef")
    assert result.exit_code == 1 and "no backup 20200101T000000Z-abcdef" in result.output
    malformed = _run(cli, "verify", "yesterday")
    assert malformed.exit_code == 1 and "malformed" in malformed.output
