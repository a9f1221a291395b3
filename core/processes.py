"""Start, health-check and stop long-running local processes (servers) as process groups.

Servers started from scripts ignore SIGINT when backgrounded, so every process is started in
its own session (process group) and stopped by signalling the whole group. Every process starts
with SIGTERM and SIGINT at their defaults, whatever the parent's dispositions: an ignored signal
survives exec, and Dagster's in-process runs leave SIGTERM set to SIGINT's disposition, which
is "ignored" in a background job of a script (`quantis up &`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ManagedProcess",
    "default_stop_signals",
    "descendants",
    "end_leftovers",
    "free_port",
    "is_alive",
    "log_tail",
    "port_is_free",
    "sigterm_kept",
    "start_process",
    "stop_process_group",
    "stop_process_groups",
    "wait_until_healthy",
]


@dataclass(frozen=True)
class ManagedProcess:
    """A server process we started: its pid (also its process-group id) and log file."""

    pid: int
    log_path: Path
    command: tuple[str, ...]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    """Nothing listens on the port and it can be bound. Both tests are needed: servers that
    bind with SO_REUSEPORT (uvicorn under BentoML) leave the port bindable while in use."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        if probe.connect_ex((host, port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As servers do: connections lingering in TIME_WAIT do not make a port busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


# The signals we stop servers with, and that a shell's background job arrives ignoring.
_RESET_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def default_stop_signals() -> None:
    """SIGTERM and SIGINT at their defaults: the `preexec_fn` of every child process we start
    (`subprocess.run(..., preexec_fn=default_stop_signals)`), so it can be stopped whatever its
    parent ignores. Runs in the child between fork and exec; it takes no lock another thread
    could hold."""
    for sig in _RESET_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)


@contextlib.contextmanager
def sigterm_kept() -> Iterator[None]:
    """Put back after the block what SIGTERM did before it. Dagster's in-process run sets
    SIGTERM to SIGINT's disposition and leaves it so: in a background job of a script (SIGINT
    ignored) the process would ignore SIGTERM from then on. Only the main thread can set a
    handler; elsewhere the block runs unguarded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.getsignal(signal.SIGTERM)
    try:
        yield
    finally:
        if before is not None:  # None: a handler not installed from Python, nothing to restore
            signal.signal(signal.SIGTERM, before)


def start_process(
    command: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ManagedProcess:
    """Start `command` in a new session with stdout+stderr appended to `log_path`, with
    SIGTERM and SIGINT at their default dispositions (see the module's docstring)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(command),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
            preexec_fn=default_stop_signals,
        )
    return ManagedProcess(pid=proc.pid, log_path=log_path, command=tuple(command))


def is_alive(pid: int) -> bool:
    """Whether a process with this pid exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        with contextlib.suppress(OSError, IndexError):
            return stat.read_text().split(")")[-1].split()[0] != "Z"
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def wait_until_healthy(
    url: str,
    *,
    timeout_s: float = 60.0,
    pid: int | None = None,
    interval_s: float = 0.25,
    gave_up: Callable[[], bool] | None = None,
) -> bool:
    """Poll `url` until it answers 2xx; False on timeout, when `pid` dies first, or when
    `gave_up()` says the server reported a fatal start-up error."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if gave_up is not None and gave_up():
            return False
        if pid is not None:
            _reap(pid)
            if not is_alive(pid):
                return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if 200 <= response.status < 300:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(interval_s)
    return False


def _group_alive(pgid: int) -> bool:
    _reap(pgid)
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_process_group(pid: int, *, timeout_s: float = 15.0) -> None:
    """SIGTERM the process group led by `pid`, then SIGKILL what is left after `timeout_s`;
    then end what the group started in sessions of its own (see `stop_process_groups`)."""
    stop_process_groups([pid], timeout_s=timeout_s)


def stop_process_groups(pids: Sequence[int], *, timeout_s: float = 15.0) -> None:
    """Stop the process groups led by `pids` together: SIGTERM to every group at once, one
    grace of `timeout_s` for all of them, SIGKILL to the groups still there; then end what they
    started in sessions of their own. Stopping them one after another would add up their
    shutdown times (and their graces, for one that hangs).

    The whole group is waited for, not only its leader: servers such as `bentoml serve` leave
    worker processes behind when only the parent is signalled. BentoML's workers also run in
    sessions of their own, outside the group: one that outlives its server keeps listening
    on the port (SO_REUSEPORT), so a server started there next shares its connections with
    the orphan, which answers with the old model. They are ended too, and waited for.
    """
    below = [child for pid in pids for child in descendants(pid)]
    _stop_groups(list(pids), timeout_s)
    ended = end_leftovers(below)
    deadline = time.monotonic() + timeout_s
    while any(is_alive(child) for child in ended) and time.monotonic() < deadline:
        time.sleep(0.1)


def _signal_group(pgid: int, sig: signal.Signals) -> bool:
    """Send `sig` to the group; False when there is no such group (any more)."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _stop_groups(pgids: list[int], timeout_s: float) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        running = [pgid for pgid in pgids if _signal_group(pgid, sig)]
        deadline = time.monotonic() + timeout_s
        while running and time.monotonic() < deadline:
            running = [pgid for pgid in running if _group_alive(pgid)]
            if running:
                time.sleep(0.1)
        if not running:
            return
        pgids = running


def log_tail(log_path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a log file (empty when it does not exist)."""
    if not log_path.exists():
        return ""
    text = log_path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


def _cmdline(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return None


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process below `pid`, read from /proc. Servers such as
    `bentoml serve` start workers in sessions of their own, out of reach of the group."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found: list[int] = []
    frontier = {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier}
        found += sorted(children)
        frontier = children
    return [(child, line) for child in found if (line := _cmdline(child)) is not None]


def end_leftovers(processes: list[tuple[int, str]]) -> list[int]:
    """SIGKILL those of `processes` still running the same command line (a reused pid is
    left alone); returns the pids ended."""
    ended = []
    for pid, line in processes:
        if _cmdline(pid) == line:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                ended.append(pid)
    return ended
