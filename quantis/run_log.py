"""Send a command's noise to a log file under `<home>/logs/`, keep the terminal for progress.

Everything the process and its children write to stdout/stderr while `output_to_log` is open
(Dagster's event log lines, library warnings such as statsforecast's RuntimeWarnings,
LightGBM's own prints) lands in the file; the
caller gets the terminal stream for what a person should read. With `echo`, the file is also
copied to the terminal as it grows (`--verbose`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["new_log_path", "output_to_log"]


def new_log_path(log_dir: Path, command: str) -> Path:
    """`<log_dir>/<command>-<UTC timestamp>.log` (a fresh name for each invocation)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    path = log_dir / f"{command}-{stamp}.log"
    suffix = 1
    while path.exists():
        suffix += 1
        path = log_dir / f"{command}-{stamp}-{suffix}.log"
    return path


def _fd_backed(stream: TextIO) -> bool:
    try:
        return stream.fileno() in (1, 2)
    except (AttributeError, OSError, ValueError):
        return False


def _echo(path: Path, terminal: TextIO, stop: threading.Event) -> None:
    with open(path, errors="replace") as source:
        while True:
            chunk = source.read()
            if chunk:
                terminal.write(chunk)
                terminal.flush()
            elif stop.is_set():
                return
            else:
                stop.wait(0.2)


@contextlib.contextmanager
def output_to_log(path: Path, *, echo: bool = False) -> Iterator[TextIO]:
    """Redirect stdout and stderr (file descriptors 1 and 2, and `sys.stdout`/`sys.stderr`)
    into `path` and yield a stream that still reaches the terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    log = open(path, "a", buffering=1, errors="replace")  # noqa: SIM115 - closed below
    original_streams = sys.stdout, sys.stderr
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    if _fd_backed(sys.stderr):
        terminal: TextIO = os.fdopen(os.dup(saved[2]), "w", buffering=1)
    else:  # already captured (a test runner): keep writing where it reads
        terminal = sys.stderr
    original_showwarning = warnings.showwarning

    def show_in_log(message, category, filename, lineno, file=None, line=None):
        log.write(warnings.formatwarning(message, category, filename, lineno, line))

    stop = threading.Event()
    echoer = threading.Thread(target=_echo, args=(path, terminal, stop), daemon=True)
    try:
        for fd in (1, 2):
            os.dup2(log.fileno(), fd)
        sys.stdout = sys.stderr = log
        warnings.showwarning = show_in_log
        if echo:
            echoer.start()
        yield terminal
    finally:
        log.flush()
        warnings.showwarning = original_showwarning
        sys.stdout, sys.stderr = original_streams
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        stop.set()
        if echoer.is_alive():
            echoer.join(timeout=5)
        log.close()
        if terminal is not original_streams[1]:
            terminal.flush()
            terminal.close()
