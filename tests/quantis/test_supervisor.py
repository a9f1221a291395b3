"""The supervisor of `quantis up`: a killed model server is noticed, said in one line, started
again and forecasting within a bounded time; a server that crashes at every start is given up
on with a clear message; `quantis status` shows what runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from served_model import RunningModelServer, tiny_panel

from core.processes import descendants, end_leftovers, free_port, is_alive
from core.settings import get_settings
from quantis import cli
from quantis.launch.services import status_file
from quantis.launch.supervisor import Started, Supervisor

BACK_WITHIN_S = 180  # a fresh `bentoml serve` on a loaded 2-core machine


def _forecast(url: str) -> httpx.Response:
    rows = tiny_panel()
    rows = rows[rows["unique_id"] == "s00000"]
    series = {
        "id": "a",
        "timestamps": [t.isoformat() for t in rows["ds"]],
        "values": list(rows["y"]),
    }
    body = {"series": [series], "horizon": 3, "levels": [80]}
    return httpx.post(f"{url}/forecast", json=body, timeout=30)


def _watching(supervisor: Supervisor):
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.watch, args=(stop, 0.2), daemon=True)
    thread.start()
    return stop, thread


def _wait_for(lines: list[str], phrase: str, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [line for line in lines if phrase in line]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no line with {phrase!r} within {timeout_s}s: {lines}")


@pytest.mark.slow
def test_a_killed_model_server_is_back_and_forecasting(tiny_model_dir, tmp_path):
    server = RunningModelServer(tiny_model_dir, tmp_path, port=free_port()).start()

    def start() -> Started:
        server.start()
        return Started(server.process.pid, server.url, server.process.log_path)

    lines: list[str] = []
    supervisor = Supervisor(lines.append, first_backoff_s=0.5)
    supervisor.add("model-server", start, Started(server.process.pid, server.url))
    stop, thread = _watching(supervisor)
    leftover: list[tuple[int, str]] = []
    try:
        assert _forecast(server.url).status_code == 200
        killed = server.process.pid
        # `bentoml serve` runs its worker in a session of its own: a SIGKILL of the server's
        # group leaves it behind, holding the port; the supervisor ends it.
        leftover.extend(descendants(killed))
        workers = [pid for pid, _ in leftover]
        assert workers
        os.killpg(killed, signal.SIGKILL)
        server.process = None
        started = time.monotonic()
        exited = _wait_for(lines, "exited; restarting", 10)
        assert f"model-server (pid {killed}) exited" in exited
        back = _wait_for(lines, "is back", BACK_WITHIN_S)
        assert server.url in back and not is_alive(killed)
        assert not any(is_alive(pid) for pid in workers), "the old workers are gone"
        assert _forecast(server.url).status_code == 200
        assert time.monotonic() - started < BACK_WITHIN_S
        assert len(lines) == 2, lines  # one line for the exit, one for the return
    finally:
        stop.set()
        thread.join(timeout=10)
        server.stop()
        end_leftovers(leftover)  # only if the supervisor did not


def test_a_server_that_crashes_at_start_is_given_up_on(tmp_path):
    log = tmp_path / "crashing.log"
    command = [sys.executable, "-c", "import sys; print('bad config'); sys.exit(3)"]

    def start() -> Started:
        process = subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT)
        process.wait(timeout=30)
        raise RuntimeError(f"crashing exited with {process.returncode} before it was healthy")

    first = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    first.wait(timeout=30)
    lines: list[str] = []
    supervisor = Supervisor(lines.append, max_failures=3, first_backoff_s=0.05)
    service = supervisor.add("crashing", start, Started(first.pid, None, log))
    stop, thread = _watching(supervisor)
    try:
        gave_up = _wait_for(lines, "giving up", 30)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert service.given_up
    assert "crashing did not start (crashing exited with 3 before it was healthy)" in gave_up
    assert str(log) in gave_up and "run `quantis up` again" in gave_up
    assert sum("retrying in" in line for line in lines) == 2  # attempts 2 and 3, then no more
    attempts = len(lines)
    time.sleep(0.5)
    assert len(lines) == attempts


def test_status_shows_what_runs(capsys, isolated_settings):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        path = status_file(get_settings())
        path.parent.mkdir(parents=True)
        services = {
            "api": {
                "pid": sleeper.pid,
                "url": "http://127.0.0.1:8000",
                "log": None,
                "given_up": False,
            },
            "mlflow": {"pid": 999_999_999, "url": None, "log": None, "given_up": True},
        }
        path.write_text(json.dumps({"up_pid": os.getpid(), "services": services}))
        with pytest.raises(SystemExit) as exit_:
            cli.run(["status"])
        assert exit_.value.code == 1  # a service was given up on
        output = capsys.readouterr().out
        rows = {line.split()[1]: line for line in output.splitlines() if line.startswith("│")}
        assert "running" in rows["api"] and "http://127.0.0.1:8000" in rows["api"]
        assert "gave up" in rows["mlflow"] and "no model deployed yet" in output
    finally:
        sleeper.kill()
        sleeper.wait()
