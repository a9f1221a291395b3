"""Process-wide defaults: MLflow downloads artifacts without a progress bar of its own."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os, sys
from core.runtime import apply_offline_defaults
if sys.argv[1] == "defaults":
    apply_offline_defaults()
import mlflow
mlflow.set_tracking_uri(f"sqlite:///{sys.argv[2]}/mlflow.db")
experiment = mlflow.create_experiment("e", artifact_location=f"{sys.argv[2]}/artifacts")
folder = os.path.join(sys.argv[2], "files")
os.makedirs(folder)
for index in range(5):
    open(os.path.join(folder, f"part-{index}.txt"), "w").write("x" * 1000)
with mlflow.start_run(experiment_id=experiment) as run:
    mlflow.log_artifacts(folder, "parts")
mlflow.artifacts.download_artifacts(
    run_id=run.info.run_id, artifact_path="parts", dst_path=os.path.join(sys.argv[2], "out")
)
"""


def _download(tmp_path, mode: str) -> str:
    folder = tmp_path / mode
    folder.mkdir()
    env = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "PATH": "/usr/bin:/bin"}
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, str(folder)],
        capture_output=True, text=True, timeout=300, env=env, check=True,
    )  # fmt: skip
    return completed.stderr


def test_artifact_downloads_show_no_progress_bar(tmp_path):
    assert "Downloading artifacts" in _download(tmp_path, "mlflow-default")  # the bar, unasked
    assert "Downloading artifacts" not in _download(tmp_path, "defaults")
