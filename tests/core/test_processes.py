import subprocess
import sys
import time

from core.processes import (
    free_port,
    is_alive,
    log_tail,
    port_is_free,
    start_process,
    stop_process_group,
    stop_process_groups,
    wait_until_healthy,
)
from core.settings import REPO_ROOT


def test_server_is_started_health_checked_and_stopped_with_its_children(tmp_path):
    port = free_port()
    # The parent starts a child server and waits: stopping must reach the child too.
    script = (
        "import subprocess, sys; "
        f"subprocess.Popen([sys.executable, '-m', 'http.server', '{port}', '--bind', '127.0.0.1']); "
        "import time; time.sleep(600)"
    )
    process = start_process([sys.executable, "-c", script], tmp_path / "server.log", cwd=tmp_path)
    try:
        assert wait_until_healthy(f"http://127.0.0.1:{port}/", timeout_s=30, pid=process.pid)
        assert not port_is_free("127.0.0.1", port)
    finally:
        stop_process_group(process.pid)
    assert not is_alive(process.pid)
    deadline = time.monotonic() + 10
    while not port_is_free("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert port_is_free("127.0.0.1", port)


def test_health_wait_gives_up_when_the_process_dies(tmp_path):
    process = start_process(
        [sys.executable, "-c", "print('boom'); raise SystemExit(3)"], tmp_path / "dies.log"
    )
    started = time.monotonic()
    assert not wait_until_healthy(f"http://127.0.0.1:{free_port()}/", timeout_s=30, pid=process.pid)
    assert time.monotonic() - started < 15
    assert "boom" in log_tail(tmp_path / "dies.log")


def test_health_wait_gives_up_on_a_reported_fatal_error(tmp_path):
    assert not wait_until_healthy(
        f"http://127.0.0.1:{free_port()}/", timeout_s=30, gave_up=lambda: True
    )


def test_stopping_a_group_also_ends_what_it_started_in_a_session_of_its_own(tmp_path):
    """As `bentoml serve` does with its workers: a child in a new session is out of the
    group's reach, and would keep the server's port after the server is stopped."""
    port = free_port()
    script = (
        "import subprocess, sys, time; "
        f"subprocess.Popen([sys.executable, '-m', 'http.server', '{port}', '--bind', "
        "'127.0.0.1'], start_new_session=True); time.sleep(600)"
    )
    process = start_process([sys.executable, "-c", script], tmp_path / "server.log", cwd=tmp_path)
    assert wait_until_healthy(f"http://127.0.0.1:{port}/", timeout_s=30, pid=process.pid)
    stop_process_group(process.pid)
    assert not is_alive(process.pid)
    assert port_is_free("127.0.0.1", port)  # the worker in its own session is gone too


_IGNORING_PARENT = """
import os, signal, sys, threading, time
from pathlib import Path
from core.processes import start_process

# As a background job of a script, after a Dagster run in-process: both signals ignored.
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
started = []
# Dagster's steps start servers from threads that are not the main one.
worker = threading.Thread(
    target=lambda: started.append(start_process(["sleep", "60"], Path(sys.argv[1])))
)
worker.start()
worker.join()
pid = started[0].pid
status = Path(f"/proc/{pid}/status").read_text()
while "sleep" not in Path(f"/proc/{pid}/cmdline").read_text():
    time.sleep(0.05)  # exec'd: the dispositions below are the server's own
    status = Path(f"/proc/{pid}/status").read_text()
ignored = int(next(l for l in status.splitlines() if l.startswith("SigIgn:")).split()[1], 16)
print("ignored", [s for s in (signal.SIGTERM, signal.SIGINT) if ignored & (1 << (s - 1))])
os.kill(pid, signal.SIGTERM)
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        print("ended by", os.WTERMSIG(status) if os.WIFSIGNALED(status) else "exit")
        break
    time.sleep(0.05)
else:
    os.kill(pid, signal.SIGKILL)
    print("survived SIGTERM")
"""


def test_a_server_starts_with_default_stop_signals_though_its_parent_ignores_them(tmp_path):
    """An ignored signal survives exec: a model server started by a `quantis up` in the
    background would ignore SIGTERM and only die by SIGKILL, without a graceful shutdown."""
    result = subprocess.run(
        [sys.executable, "-c", _IGNORING_PARENT, str(tmp_path / "sleep.log")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["ignored []", "ended by 15"]


_OUR_PACKAGES = ("api", "bentos", "core", "models", "orchestration", "quantis")
_STARTS_A_PROCESS = {"run", "Popen", "call", "check_call", "check_output"}


def test_every_child_process_is_started_with_default_stop_signals():
    """Each `subprocess` call in our code passes `preexec_fn` (core.processes'
    `default_stop_signals`): a child inherits an ignored SIGTERM or SIGINT through exec, and a
    Dagster run inside a script's background job ignores both."""
    import ast

    calls, without = 0, []
    for package in _OUR_PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "subprocess"
                    and node.func.attr in _STARTS_A_PROCESS
                ):
                    continue
                calls += 1
                if "preexec_fn" not in {keyword.arg for keyword in node.keywords}:
                    without.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert calls >= 5  # start_process, bentoml build, pg_dump/pg_restore, git
    assert without == []


# A server that takes 1.5 s to shut down: it notes when SIGTERM came and when it exits.
_SLOW_TO_STOP = """
import pathlib, signal, sys, time
out = pathlib.Path(sys.argv[1])
def on_term(*_):
    (out / "term").write_text(repr(time.time()))
    time.sleep(1.5)
    (out / "exit").write_text(repr(time.time()))
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
(out / "ready").write_text("")
while True:
    time.sleep(0.1)
"""


def test_servers_are_stopped_together_not_one_after_another(tmp_path):
    folders = [tmp_path / f"server-{n}" for n in range(3)]
    pids = []
    for folder in folders:
        folder.mkdir()
        command = [sys.executable, "-c", _SLOW_TO_STOP, str(folder)]
        pids.append(start_process(command, folder / "log", cwd=folder).pid)
    deadline = time.monotonic() + 60
    while not all((f / "ready").exists() for f in folders) and time.monotonic() < deadline:
        time.sleep(0.1)
    stop_process_groups(pids, timeout_s=30)
    assert not any(is_alive(pid) for pid in pids)
    terms = [float((f / "term").read_text()) for f in folders]
    exits = [float((f / "exit").read_text()) for f in folders]
    # Every server heard SIGTERM before the first one had finished stopping.
    assert max(terms) < min(exits), (terms, exits)
