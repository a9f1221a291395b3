"""`quantis apikey create | list | revoke` against SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from core.db.engine import make_engine, session_scope
from core.db.repositories.api_keys import verify_api_key
from core.db.repositories.audit import list_audit
from core.settings import get_settings
from quantis.commands import apikey


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(apikey.app, name="apikey")
    return app


def _run(cli: typer.Typer, *args: str):
    return CliRunner().invoke(cli, ["apikey", *args])


def test_create_prints_a_working_key_once_then_list_and_revoke(cli, db_url):
    created = _run(
        cli, "create", "--name", "etl", "--scope", "read", "--scope", "write", "--url", db_url
    )
    assert created.exit_code == 0, created.output
    plaintext = created.output.strip().splitlines()[-1]
    secret = get_settings().secret_key.get_secret_value()
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        key = verify_api_key(session, plaintext, secret, touch=False)
        assert key is not None and key.scopes == ["read", "write"]
        key_id = key.id
    listed = _run(cli, "list", "--url", db_url)
    assert listed.exit_code == 0 and "etl" in listed.output and plaintext not in listed.output
    revoked = _run(cli, "revoke", str(key_id), "--url", db_url)
    assert revoked.exit_code == 0, revoked.output
    with session_scope(engine) as session:
        assert verify_api_key(session, plaintext, secret) is None
        actions = [e.action for e in list_audit(session).items]
    engine.dispose()
    assert actions == ["apikey.revoke", "apikey.create"]
    assert "No API keys" in _run(cli, "list", "--url", db_url).output


def test_unknown_scopes_and_ids_are_refused(cli, db_url):
    bad = _run(cli, "create", "--name", "x", "--scope", "root", "--url", db_url)
    assert bad.exit_code == 2 and "unknown scope" in bad.output
    missing = _run(cli, "revoke", "4242", "--url", db_url)
    assert missing.exit_code == 1 and "4242" in missing.output


def test_create_limits_a_key_to_datasets_and_list_shows_the_limit(cli, db_url):
    from core.datasets import DatasetConfig
    from core.db.repositories.datasets import create_dataset

    engine = make_engine(db_url)
    with session_scope(engine) as session:
        create_dataset(session, DatasetConfig(name="web-traffic"))
    created = _run(
        cli, "create", "--name", "web", "--scope", "read", "--dataset", "web-traffic",
        "--dataset", "default", "--url", db_url,
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "datasets default, web-traffic" in created.output
    plaintext = created.output.strip().splitlines()[-1]
    secret = get_settings().secret_key.get_secret_value()
    with session_scope(engine) as session:
        key = verify_api_key(session, plaintext, secret, touch=False)
        assert key.datasets == ["default", "web-traffic"]
        (entry,) = list_audit(session).items
    engine.dispose()
    assert entry.details["datasets"] == ["default", "web-traffic"]
    unlimited = _run(cli, "create", "--name", "all", "--scope", "read", "--url", db_url)
    assert unlimited.exit_code == 0 and "every dataset" in unlimited.output
    listed = _run(cli, "list", "--url", db_url).output
    assert "web-traf" in listed and "(all)" in listed, listed  # the table is 80 columns wide


def test_create_refuses_an_unknown_dataset_and_a_limited_admin_key(cli, db_url):
    unknown = _run(
        cli, "create", "--name", "x", "--scope", "read", "--dataset", "nope", "--url", db_url
    )
    assert unknown.exit_code == 1 and "nope" in unknown.output
    admin = _run(
        cli, "create", "--name", "x", "--scope", "admin", "--dataset", "default", "--url", db_url
    )
    assert admin.exit_code == 2 and "admin" in admin.output
    assert "No API keys" in _run(cli, "list", "--url", db_url).output
