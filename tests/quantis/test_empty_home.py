"""Every `quantis` command on an empty home: it works (migrating the SQLite database first) or
ends with one line that says what to run; never a traceback. `--debug` shows the traceback."""

from __future__ import annotations

import os

import pytest
import typer

from quantis import cli
from quantis.commands import serve

# Command path -> (arguments after it, exit code, a phrase the output must hold).
EXPECTED = {
    "up": (["--once", "--no-demo-data"], 1, "no data: the landing area"),
    "status": ([], 0, "Nothing runs: start it with `quantis up`"),
    "evaluate": ([], 2, "pass exactly one of --data or --dataset"),
    "model list": ([], 0, "No versions of 'quantis-forecaster' yet"),
    "model promote": (["1"], 1, "has no version '1'"),
    "model rollback": ([], 1, "has no champion to roll back"),
    "db upgrade": ([], 0, "is at revision"),
    "db current": ([], 0, "not migrated"),
    "db downgrade": (["base"], 0, "is at revision base"),
    "config show": ([], 0, "Quantis settings"),
    "backup list": ([], 0, "No backups in"),
    "backup create": ([], 0, "Retention: kept 1"),
    "backup verify": (["latest"], 1, "no complete backup"),
    "backup restore": (["latest"], 1, "no complete backup"),
    "backup drill": ([], 1, "no complete backup"),
    "serve api": ([], 0, "Migrated sqlite:///"),
    "serve model": ([], 1, "no model to serve"),
    "apikey create": (["--name", "etl", "--scope", "read"], 0, "Created API key 1"),
    "apikey list": ([], 0, "No API keys yet"),
    "apikey revoke": (["1"], 1, "API key id 1 does not exist"),
    "dataset create": (["web", "--frequency", "D"], 0, "Created dataset 'web'"),
    "dataset list": ([], 0, "default"),
    "dataset show": (["default"], 0, "dataset default"),
    "dataset update": (["default", "--horizon", "7"], 0, "Updated dataset 'default': horizon"),
    "dataset delete": (["web", "--yes"], 1, "dataset 'web' does not exist"),
    "dataset apply": ([], 0, "declares no datasets"),
}


def _command_paths(group, prefix: str = "") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):
            paths += _command_paths(command, f"{path} ")
        else:
            paths.append(path)
    return paths


def _quantis(capsys, *argv: str) -> tuple[int, str]:
    try:
        cli.run(list(argv))
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_every_command_is_in_the_table():
    assert sorted(_command_paths(typer.main.get_command(cli.app))) == sorted(EXPECTED)


@pytest.fixture
def no_exec(monkeypatch) -> list[list[str]]:
    """`quantis serve` replaces the process with the server; record the command instead."""
    started: list[list[str]] = []
    monkeypatch.setattr(serve, "_exec", lambda command, env: started.append(command))
    return started


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_command_on_an_empty_home(path, capsys, isolated_settings, no_exec):
    arguments, code, phrase = EXPECTED[path]
    exit_code, output = _quantis(capsys, *path.split(), *arguments)
    assert "Traceback" not in output and 'File "' not in output, output
    assert exit_code == code, output
    assert phrase in " ".join(output.split()), output
    if exit_code == 1:
        error_lines = [line for line in output.splitlines() if line.startswith("quantis: ")]
        assert len(error_lines) <= 1, output


def test_a_missing_setup_step_is_one_line_saying_what_to_run(capsys, tmp_path):
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/i16_never_created_{tmp_path.name[-6:]}"
    exit_code, output = _quantis(capsys, "apikey", "list", "--url", url)
    assert exit_code == 1
    assert "Traceback" not in output
    [line] = output.strip().splitlines()
    assert line.startswith("quantis: database error:") and "does not exist" in line


def test_a_server_database_behind_head_is_not_migrated_implicitly(capsys, fresh_db_url):
    url = fresh_db_url("postgresql")
    exit_code, output = _quantis(capsys, "apikey", "list", "--url", url)
    assert exit_code == 1
    [line] = output.strip().splitlines()
    assert "is not migrated" in line and "run `quantis db upgrade --url" in line


def test_debug_shows_the_traceback(capsys, tmp_path):
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/i16_never_created_{tmp_path.name[-6:]}"
    with pytest.raises(Exception, match="does not exist"):
        cli.run(["--debug", "apikey", "list", "--url", url])


def test_every_command_points_bentoml_at_the_homes_store(capsys, isolated_settings, monkeypatch):
    monkeypatch.setenv("BENTOML_HOME", "/somewhere/else")  # BentoML's default or a stray one
    exit_code, output = _quantis(capsys, "status")
    assert exit_code == 0, output
    assert os.environ["BENTOML_HOME"] == str(isolated_settings / "bentoml")
