"""`quantis up`: the README's main command, on a small panel instead of the demo data."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from core.db.engine import make_engine, session_scope
from core.db.migrate import upgrade
from core.db.tables import ModelDeployment
from core.processes import free_port, is_alive
from core.settings import get_settings
from models.datasets import synthetic_panel
from quantis.commands import up
from quantis.stack import LocalStack

pytestmark = pytest.mark.slow


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(up.up)
    return app


def test_up_once_runs_the_pipeline_and_stops_what_it_started(monkeypatch):
    monkeypatch.setenv("QUANTIS_MODEL_SERVER_PORT", str(free_port()))
    get_settings.cache_clear()
    settings = get_settings()
    landing = Path(settings.landing_url.removeprefix("file://"))
    landing.mkdir(parents=True)
    synthetic_panel(6, 120, "D", seed=5).to_csv(landing / "daily.csv", index=False)

    result = CliRunner().invoke(_app(), ["--once", "--no-demo-data"])
    assert result.exit_code == 0, result.output
    assert "model_deployment: done" in result.output
    assert "Promotion:" in result.output

    with session_scope(make_engine(settings.database_url)) as session:
        [deployment] = session.scalars(select(ModelDeployment)).all()
    assert deployment.status == "active"
    assert not is_alive(deployment.details["pid"])  # --once stops the server it started

    again = CliRunner().invoke(_app(), ["--once", "--no-demo-data"])
    assert again.exit_code == 0, again.output
    assert "No new data since champion version 1" in again.output
    assert "trained_model: done" not in again.output
    assert "model_deployment: done" in again.output


def test_local_stack_starts_the_uis_and_stops_them(isolated_settings):
    settings = get_settings().ensure_home()
    upgrade(settings.database_url)
    stack = LocalStack(settings)
    try:
        dagster_url = stack.start_dagster(free_port())
        mlflow_url = stack.start_mlflow(free_port())
        api_url = stack.start_api(free_port())
        environ = Path(f"/proc/{stack.processes['api'].pid}/environ").read_bytes()
        api_env = environ.split(b"\0")
        assert f"QUANTIS_DAGSTER_URL={dagster_url}".encode() in api_env
        with urllib.request.urlopen(f"{api_url}/health", timeout=10) as response:
            assert response.status == 200
        with urllib.request.urlopen(f"{dagster_url}/server_info", timeout=10) as response:
            assert response.status == 200
        with urllib.request.urlopen(f"{mlflow_url}/health", timeout=10) as response:
            assert response.status == 200
        pids = [p.pid for p in stack.processes.values()]
        assert all(stack.running().values())
    finally:
        stack.stop()
    assert not any(is_alive(pid) for pid in pids)
