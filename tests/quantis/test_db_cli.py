"""`quantis db upgrade | current | downgrade` on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from core.db import migrate
from quantis.commands import db

KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(db.app, name="db")
    return app


def _run(cli: typer.Typer, *args: str):
    return CliRunner().invoke(cli, ["db", *args])


@pytest.mark.parametrize("kind", KINDS)
def test_upgrade_current_downgrade_with_url(cli, fresh_db_url, kind):
    url = fresh_db_url(kind)
    before = _run(cli, "current", "--url", url)
    assert before.exit_code == 0 and "not migrated" in before.output
    upgraded = _run(cli, "upgrade", "--url", url)
    assert upgraded.exit_code == 0, upgraded.output
    assert migrate.current(url) == migrate.head()
    assert "up to date" in _run(cli, "current", "--url", url).output
    downgraded = _run(cli, "downgrade", "base", "--url", url)
    assert downgraded.exit_code == 0, downgraded.output
    assert migrate.current(url) is None


def test_default_database_comes_from_settings(cli, isolated_settings):
    result = _run(cli, "upgrade")
    assert result.exit_code == 0, result.output
    url = f"sqlite:///{isolated_settings / 'quantis.db'}"
    assert migrate.current(url) == migrate.head()


def test_unreachable_database_fails_with_a_message_and_no_password(cli):
    result = _run(cli, "current", "--url", "postgresql://quantis:hunter2@127.0.0.1:1/quantis")
    assert result.exit_code == 1
    assert "database error" in result.output
    assert "hunter2" not in result.output


def test_invalid_settings_fail_with_the_reason(cli, monkeypatch):
    monkeypatch.setenv("QUANTIS_ENV", "prod")
    result = _run(cli, "current")
    assert result.exit_code == 1
    assert "QUANTIS_SECRET_KEY" in result.output
