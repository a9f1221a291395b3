"""`quantis up`: the README's main command, on a small panel instead of the demo data."""

from __future__ import annotations

import fcntl
import os
import re
import select as io_select
import signal
import struct
import subprocess
import sys
import termios
import time
import urllib.request
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from core.db.engine import make_engine, session_scope
from core.db.migrate import upgrade
from core.db.tables import Forecast, ModelDeployment
from core.processes import (
    free_port,
    is_alive,
    log_tail,
    start_process,
    stop_process_group,
    wait_until_healthy,
)
from core.settings import get_settings
from models.datasets import synthetic_panel
from quantis.commands import up
from quantis.stack import LocalStack

pytestmark = pytest.mark.slow


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(up.up)
    return app


MAX_TERMINAL_LINES = 40  # progress (a line per step), outcome table, decision, paths
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def _read_until_closed(primary: int, process: subprocess.Popen, deadline: float) -> bytes:
    chunks = []
    while time.monotonic() < deadline:
        ready, _, _ = io_select.select([primary], [], [], 1)
        if ready:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    return b"".join(chunks)


def _in_a_terminal(*args: str, timeout_s: float = 900) -> tuple[int, list[str]]:
    """`quantis ARGS` with a pseudo-terminal (120 columns) as stdin, stdout and stderr: its
    exit code and the lines a person would see (escape codes removed, redrawn lines once)."""
    primary, secondary = os.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("quantis")), *args],
        stdin=secondary, stdout=secondary, stderr=secondary,
        env={**os.environ, "TERM": "xterm-256color"}, start_new_session=True,
    )  # fmt: skip
    os.close(secondary)
    try:
        output = _read_until_closed(primary, process, time.monotonic() + timeout_s)
    finally:
        os.close(primary)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    code = process.wait(timeout=60)
    text = ANSI.sub("", output.decode(errors="replace"))
    lines = [line.rsplit("\r", 1)[-1] for line in text.replace("\r\n", "\n").split("\n")]
    return code, [line for line in lines if line.strip()]


def test_up_once_in_a_terminal_shows_progress_and_summary_only(monkeypatch):
    monkeypatch.setenv("QUANTIS_MODEL_SERVER_PORT", str(free_port()))
    monkeypatch.delenv("BENTOML_HOME", raising=False)  # as a user has it: unset
    get_settings.cache_clear()
    settings = get_settings()
    landing = Path(settings.landing_url.removeprefix("file://"))
    landing.mkdir(parents=True)
    synthetic_panel(6, 120, "D", seed=5).to_csv(landing / "daily.csv", index=False)

    code, lines = _in_a_terminal("up", "--once", "--no-demo-data")
    shown = "\n".join(lines)
    assert code == 0, shown
    assert len(lines) <= MAX_TERMINAL_LINES, shown
    assert not any("DEBUG" in line for line in lines), shown
    for step in ("staged_observations", "trained_model", "model_deployment", "batch_forecasts"):
        assert re.search(rf"{step}: done \(\d+\.\d+s\)", shown), shown
    assert "Promotion:" in shown and "Pipeline run(s)" in shown
    [log_line] = [line for line in lines if line.startswith("Event logs: ")]
    log_path = Path(log_line.removeprefix("Event logs: ").split(" (")[0].strip())
    assert log_path.parent == settings.home / "logs"
    assert "DEBUG" in log_path.read_text()  # the event log lines went to the file

    with session_scope(make_engine(settings.database_url)) as session:
        [deployment] = session.scalars(select(ModelDeployment)).all()
        # after the roll-out, every series has its stored batch forecast (on by default)
        batch = session.scalars(select(Forecast).where(Forecast.kind == "batch")).all()
    assert len({forecast.series_id for forecast in batch}) == len(batch) == 6
    assert deployment.status == "active"
    assert not is_alive(deployment.details["pid"])  # --once stops the server it started
    _serve_the_pipelines_bento(deployment.bento_tag, settings.home)

    again = CliRunner().invoke(_app(), ["--once", "--no-demo-data"])
    assert again.exit_code == 0, again.output
    assert "no new data since champion version 1" in again.output
    assert "trained_model: done" not in again.output
    assert "model_deployment: done" in again.output


def _serve_the_pipelines_bento(bento_tag: str, home: Path) -> None:
    """`quantis serve model --bento TAG`, the tag `up` deployed: found in the home's store."""
    port = free_port()
    process = start_process(
        [str(Path(sys.executable).with_name("quantis")), "serve", "model", "--bento", bento_tag,
         "--host", "127.0.0.1", "--port", str(port)],
        home / "logs" / "serve-model.log",
    )  # fmt: skip
    try:
        ready = wait_until_healthy(
            f"http://127.0.0.1:{port}/readyz", timeout_s=120, pid=process.pid
        )
        assert ready, log_tail(process.log_path)
    finally:
        stop_process_group(process.pid)


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
        assert all(stack.running().values())
        # What the supervisor does after an exit: the server starts again the same way.
        killed = stack.processes["api"].pid
        os.killpg(killed, signal.SIGKILL)
        restarted = stack.restart("api")
        assert restarted.pid != killed and not is_alive(killed)
        with urllib.request.urlopen(f"{api_url}/health", timeout=10) as response:
            assert response.status == 200
        pids = [p.pid for p in stack.processes.values()]
    finally:
        stack.stop()
    assert not any(is_alive(pid) for pid in pids)


_STOP_SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}


def _ignored_stop_signals(pid: int) -> set[str] | None:
    """Which of SIGINT and SIGTERM the process ignores (None once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    [mask] = [int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigIgn")]
    return {name for name, sig in _STOP_SIGNALS.items() if mask & (1 << (sig - 1))}


def test_up_once_started_with_sigint_ignored_starts_children_that_stop_on_sigterm(monkeypatch):
    """`quantis up --once &` from a script: the shell starts it with SIGINT ignored. What it
    starts (the Bento build, the model server and its workers) must start with SIGINT and SIGTERM
    at their defaults. These children start inside Dagster runs, while Dagster's own handlers
    are installed, so they get defaults at exec even without our resets (this passed with the
    resets taken out of bento_build too); the processes the bug reached are those started after
    a run, with SIGTERM left ignored: test_processes' and test_pipeline_runner's tests cover
    those, and this one guards the whole `--once` path against a child started otherwise."""
    from core.processes import descendants

    monkeypatch.setenv("QUANTIS_MODEL_SERVER_PORT", str(free_port()))
    get_settings.cache_clear()
    landing = Path(get_settings().landing_url.removeprefix("file://"))
    landing.mkdir(parents=True)
    synthetic_panel(6, 120, "D", seed=5).to_csv(landing / "daily.csv", index=False)

    def as_a_background_job() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("quantis")), "up", "--once", "--no-demo-data"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, preexec_fn=as_a_background_job,
    )  # fmt: skip
    seen: dict[int, tuple[str, set[str]]] = {}
    deadline = time.monotonic() + 900
    try:
        while process.poll() is None and time.monotonic() < deadline:
            for pid, command in descendants(process.pid):
                ignored = _ignored_stop_signals(pid)
                if ignored is not None and "bentoml" in command:
                    seen.setdefault(pid, (command.replace("\0", " "), ignored))
            time.sleep(0.1)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    output = process.communicate(timeout=60)[0].decode(errors="replace")
    assert process.returncode == 0, output
    assert _ignored_stop_signals(process.pid) is None
    assert any(" serve " in command for command, _ in seen.values()), seen
    # the packaging child (model import, build and export in one process, bento_build)
    assert any("build_bentofile" in command for command, _ in seen.values()), seen
    ignoring = {pid: seen[pid] for pid in seen if seen[pid][1]}
    assert ignoring == {}, ignoring
