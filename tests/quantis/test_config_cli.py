"""`quantis config show`: effective values, masked secrets, and their sources."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from quantis.commands import config


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(config.app, name="config")
    return app


def test_show_json_reports_values_and_sources(cli, monkeypatch):
    monkeypatch.setenv("QUANTIS_API_PORT", "9010")
    monkeypatch.setenv("QUANTIS_SECRET_KEY", "very-secret-value")
    result = CliRunner().invoke(cli, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["api_port"] == {"value": 9010, "source": "env"}
    assert shown["secret_key"]["value"] == "**********"
    assert shown["model_server_port"]["source"] == "default"
    assert "very-secret-value" not in result.output


def test_show_table_masks_secrets(cli, monkeypatch):
    monkeypatch.setenv("QUANTIS_DATABASE_URL", "postgresql://quantis:pw-in-url@db/quantis")
    result = CliRunner().invoke(cli, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "database_url" in result.output
    assert "pw-in-url" not in result.output


def test_show_explains_refused_settings(cli, monkeypatch):
    monkeypatch.setenv("QUANTIS_ENV", "prod")
    result = CliRunner().invoke(cli, ["config", "show"])
    assert result.exit_code == 1
    assert "QUANTIS_SECRET_KEY" in result.output
