"""`quantis serve api | model`: each starts its server in the foreground."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from core.db.migrate import upgrade
from core.processes import (
    free_port,
    log_tail,
    start_process,
    stop_process_group,
    wait_until_healthy,
)
from quantis.commands import serve

REPO_ROOT = Path(__file__).resolve().parents[2]
# Runs the Typer app of the serve command alone, as `quantis serve ...` would once mounted.
LAUNCH = "import sys; from quantis.commands.serve import app; app(sys.argv[1:])"


def test_model_server_command_for_a_model_dir_and_for_a_bento(tmp_path):
    store = tmp_path / "home" / "bentoml"
    command, env = serve.model_server_command(
        "0.0.0.0", 8123, model_dir=tmp_path, bentoml_home=store
    )
    assert command[1:] == [
        "serve",
        "bentos.service:ModelServer",
        "--host",
        "0.0.0.0",
        "--port",
        "8123",
    ]
    assert env["QUANTIS_MODEL_DIR"] == str(tmp_path.resolve())
    command, env = serve.model_server_command(
        "127.0.0.1", 8001, bento="quantis-model-server:abc", bentoml_home=store
    )
    assert command[2] == "quantis-model-server:abc" and "QUANTIS_MODEL_DIR" not in env
    assert env["BENTOML_HOME"] == str(store)  # the home's store, where the pipeline builds
    with pytest.raises(ValueError, match="not both"):
        serve.model_server_command("h", 1, model_dir=tmp_path, bento="b", bentoml_home=store)


def test_model_dir_and_bento_together_are_refused(tmp_path):
    app = typer.Typer()
    app.add_typer(serve.app, name="serve")
    result = CliRunner().invoke(
        app, ["serve", "model", "--model-dir", str(tmp_path), "--bento", "b"]
    )
    assert result.exit_code == 2 and "not both" in result.output


def _serve(tmp_path: Path, args: list[str], health: str, env: dict[str, str]) -> None:
    port = free_port()
    process = start_process(
        [sys.executable, "-c", LAUNCH, *args, "--port", str(port)],
        tmp_path / "serve.log",
        env=env,
        cwd=tmp_path,  # the command itself must find the repository
    )
    try:
        ok = wait_until_healthy(f"http://127.0.0.1:{port}{health}", timeout_s=120, pid=process.pid)
        assert ok, log_tail(process.log_path)
    finally:
        stop_process_group(process.pid)


@pytest.mark.slow
def test_serve_api_answers_health(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    upgrade(url)
    env = {"QUANTIS_DATABASE_URL": url, "PYTHONPATH": str(REPO_ROOT)}
    _serve(tmp_path, ["api", "--host", "127.0.0.1"], "/health", env)


@pytest.mark.slow
def test_serve_model_with_a_model_dir_gets_ready(tmp_path):
    sys.path.insert(0, str(REPO_ROOT / "tests" / "bentos"))
    from served_model import build_tiny_model_dir

    model_dir = build_tiny_model_dir(tmp_path / "model")
    env = {"PYTHONPATH": str(REPO_ROOT)}
    _serve(tmp_path, ["model", "--model-dir", str(model_dir)], "/readyz", env)
