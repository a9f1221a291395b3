"""Which model the server loads: a model folder, a version on the artifacts volume, or the
Bento's own; a version that is not on the volume stops the server with the reason."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from served_model import MODEL_NAME, REPO_ROOT, RunningModelServer

from bentos.model_source import ModelSourceError, choose_model_source, version_dir
from core.processes import free_port, log_tail, start_process, stop_process_group
from core.settings import load_settings


@pytest.fixture
def artifacts(tmp_path: Path, tiny_model_dir: Path) -> Path:
    """An artifacts volume holding version 7 of the tiny model."""
    root = tmp_path / "artifacts"
    shutil.copytree(tiny_model_dir, root / MODEL_NAME / "7")
    return root


def test_a_served_version_loads_from_the_artifacts_dir(artifacts: Path):
    settings = load_settings(model_artifacts_dir=artifacts, served_model_version="7")
    source = choose_model_source(settings)
    assert source.directory == artifacts / MODEL_NAME / "7"


def test_no_served_version_means_the_baked_in_model(artifacts: Path):
    assert choose_model_source(load_settings(model_artifacts_dir=artifacts)).directory is None
    assert choose_model_source(load_settings()).directory is None


def test_an_explicit_model_dir_wins(artifacts: Path, tiny_model_dir: Path):
    settings = load_settings(model_artifacts_dir=artifacts, served_model_version="99")
    assert choose_model_source(settings, str(tiny_model_dir)).directory == tiny_model_dir


def test_a_missing_version_is_refused_with_what_to_do(artifacts: Path):
    settings = load_settings(model_artifacts_dir=artifacts, served_model_version="8")
    with pytest.raises(ModelSourceError) as caught:
        choose_model_source(settings)
    message = str(caught.value)
    assert "has no version 8 of quantis-forecaster" in message
    assert "python -m bentos.fetch_model" in message and "(7)" in message


def test_a_version_without_an_artifacts_dir_is_refused():
    with pytest.raises(ModelSourceError, match="model_artifacts_dir is not"):
        choose_model_source(load_settings(served_model_version="3"))


@pytest.mark.parametrize("bad", ["..", "../etc", "a/b", ""])
def test_names_that_would_leave_the_artifacts_dir_are_refused(tmp_path: Path, bad: str):
    with pytest.raises(ModelSourceError, match="cannot name a folder"):
        version_dir(tmp_path, MODEL_NAME, bad)


def _serve(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bentos.serve", *args],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "QUANTIS_SECRETS_DIR": "/nonexistent", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_server_command_stops_at_once_on_a_missing_version(tmp_path: Path):
    result = _serve(
        [], {"QUANTIS_MODEL_ARTIFACTS_DIR": str(tmp_path), "QUANTIS_SERVED_MODEL_VERSION": "5"}
    )
    assert result.returncode == 2
    assert "has no version 5 of quantis-forecaster" in result.stderr


def test_the_server_command_refuses_a_bento_without_a_model(tmp_path: Path):
    bento = tmp_path / "bento"
    (bento / "models").mkdir(parents=True)
    result = _serve([str(bento)], {})
    assert result.returncode == 2
    assert "has no baked-in model" in result.stderr


def test_bentoml_itself_does_not_start_on_a_missing_version(tmp_path: Path):
    # Even when started without bentos.serve, the service's workers refuse to start (the
    # module reads nothing at import; each worker chooses its model when it starts).
    bentoml = str(Path(sys.executable).with_name("bentoml"))
    log = tmp_path / "serve.log"
    server = start_process(
        [bentoml, "serve", "bentos.service:ModelServer", "--port", str(free_port())],
        log,
        cwd=REPO_ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "BENTOML_DO_NOT_TRACK": "true",
            "BENTOML_HOME": str(tmp_path / "bentoml"),
            "QUANTIS_MODEL_ARTIFACTS_DIR": str(tmp_path),
            "QUANTIS_SERVED_MODEL_VERSION": "5",
        },
    )
    try:
        deadline = time.monotonic() + 120
        while "Application startup failed" not in log_tail(log, 400):
            assert time.monotonic() < deadline, log_tail(log)
            time.sleep(0.5)
        assert "has no version 5 of quantis-forecaster" in log_tail(log, 400)
    finally:
        stop_process_group(server.pid)


@pytest.mark.slow
def test_a_real_server_serves_the_version_from_the_volume(artifacts: Path, tmp_path: Path):
    server = RunningModelServer(
        None,
        tmp_path / "logs",
        environment={
            "QUANTIS_MODEL_ARTIFACTS_DIR": str(artifacts),
            "QUANTIS_SERVED_MODEL_VERSION": "7",
            "BENTOML_HOME": str(tmp_path / "bentoml"),
        },
    ).start()
    try:
        info = httpx.post(f"{server.url}/model_info", json={}, timeout=30).json()
    finally:
        server.stop()
    assert info["version"] == "7"
    assert info["source"] == str(artifacts / MODEL_NAME / "7")
