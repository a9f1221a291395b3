"""`quantis status`: the version each dataset's champion is served at, also while nothing
runs (`default`'s from its deployment record, the others' from the local server's
served-datasets.json)."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from core.settings import get_settings
from orchestration.defs.serving.served_datasets import local_artifacts_dir, write_served
from quantis.commands.status import status


def _status() -> str:
    app = typer.Typer()
    app.command()(status)
    app.command("unused")(lambda: None)  # two commands: `status` is invoked by its name
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    return result.output


def test_status_shows_each_datasets_served_version():
    settings = get_settings().ensure_home()
    assert "default: no model deployed yet" in _status()
    write_served(local_artifacts_dir(settings), {"weekly": "4", "revenue": "2"})
    shown = _status()
    assert "Nothing runs" in shown
    lines = [line.strip() for line in shown.splitlines()]
    assert lines[-3:] == [
        "default: no model deployed yet",
        "revenue: quantis-forecaster-revenue version 2",
        "weekly: quantis-forecaster-weekly version 4",
    ]


def test_a_broken_served_file_is_said_not_hidden():
    settings = get_settings().ensure_home()
    artifacts = local_artifacts_dir(settings)
    artifacts.mkdir(parents=True)
    (artifacts / "served-datasets.json").write_text("[1, 2]")
    assert "other datasets: unknown" in _status()
