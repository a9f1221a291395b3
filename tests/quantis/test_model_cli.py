"""`quantis model`: the terminal shows the answer, not MLflow's INFO lines; `--dataset`
names whose registered model it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

QUANTIS = str(Path(sys.executable).with_name("quantis"))


def _quantis(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "MLFLOW_LOGGING_LEVEL"}
    return subprocess.run(
        [QUANTIS, *args],
        env=environment | {"QUANTIS_HOME": str(home)} | env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _model_list(home: Path, *args: str, **env: str) -> list[str]:
    done = _quantis(home, "model", "list", *args, **env)
    assert done.returncode == 0, done.stderr
    return (done.stdout + done.stderr).splitlines()


def test_the_first_model_list_prints_only_its_answer(isolated_settings):
    # The first use creates MLflow's tables, which MLflow announces at INFO.
    assert _model_list(isolated_settings) == [
        "No versions of 'quantis-forecaster' yet: run `quantis up --once`."
    ]


def test_a_level_the_user_sets_wins(tmp_path):
    lines = _model_list(tmp_path / "home", MLFLOW_LOGGING_LEVEL="INFO")
    assert any("INFO mlflow" in line and "database tables" in line for line in lines), lines


def test_each_dataset_has_its_own_registered_model(isolated_settings):
    created = _quantis(isolated_settings, "dataset", "create", "weekly", "--frequency", "W-SUN")
    assert created.returncode == 0, created.stderr
    assert _model_list(isolated_settings, "--dataset", "weekly") == [
        "No versions of 'quantis-forecaster-weekly' yet: run `quantis up --once`."
    ]
    unknown = _quantis(isolated_settings, "model", "rollback", "--dataset", "absent")
    assert unknown.returncode == 1
    assert "dataset 'absent' does not exist" in unknown.stderr and "weekly" in unknown.stderr
