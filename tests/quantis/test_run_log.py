"""`output_to_log`: what the process and its children print goes to the file; the terminal
stream it yields still reaches the terminal; `echo` copies the file there too."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

from quantis.run_log import new_log_path, output_to_log


def _noise() -> None:
    print("a python print")
    warnings.warn("overflow encountered in exp", RuntimeWarning, stacklevel=1)
    os.write(2, b"a C library's own line\n")
    subprocess.run([sys.executable, "-c", "print('a child process')"], check=True)


def test_noise_goes_to_the_file_and_the_terminal_keeps_the_progress(tmp_path, capfd):
    path = new_log_path(tmp_path / "logs", "up")
    with output_to_log(path) as terminal:
        terminal.write("step 1: done\n")
        _noise()
    print("after: back on stdout")
    out, err = capfd.readouterr()
    logged = path.read_text()
    for line in ("a python print", "RuntimeWarning", "a C library's own line", "a child process"):
        assert line in logged
        assert line not in out + err
    assert "step 1: done" in err and "step 1: done" not in logged
    assert "after: back on stdout" in out


def test_echo_also_shows_the_log_on_the_terminal(tmp_path, capfd):
    path = new_log_path(tmp_path / "logs", "up")
    with output_to_log(path, echo=True):
        _noise()
    _, err = capfd.readouterr()
    assert "a C library's own line" in err and "a child process" in err
    assert "a child process" in path.read_text()


def test_each_invocation_gets_its_own_file(tmp_path):
    first = new_log_path(tmp_path, "up")
    first.write_text("")
    assert new_log_path(tmp_path, "up") != first
