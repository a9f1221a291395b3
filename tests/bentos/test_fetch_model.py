"""`python -m bentos.fetch_model` against a real local MLflow (SQLite store, artifacts in a
folder; MLflow's plain file store is retired) holding the tiny model as the pipeline logs it:
the version lands where the server looks, once, atomically."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from served_model import MODEL_NAME, REPO_ROOT, log_model_dir

from bentos.fetch_model import FetchError, fetch_model_version
from bentos.model_source import choose_model_source
from core.settings import load_settings
from models import registered_versions
from models.artifact import MANIFEST_NAME, load_model_dir, read_manifest


@dataclass(frozen=True)
class Registry:
    tracking_uri: str
    version: str  # the tiny model, as the pipeline logs and registers it
    broken_version: str  # a version whose model directory does not load


def _log(tracking_uri: str, experiment: str, model_dir: Path) -> str:
    from core.registry import ModelRegistry

    registry = ModelRegistry(tracking_uri, MODEL_NAME, registry_uri=tracking_uri)
    return registry.register(log_model_dir(experiment, model_dir)).version


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Registry:
    import mlflow

    root = tmp_path_factory.mktemp("mlflow")
    tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
    broken = root / "broken-model"
    shutil.copytree(tiny_model_dir, broken)
    manifest = json.loads((broken / MANIFEST_NAME).read_text())
    (broken / MANIFEST_NAME).write_text(json.dumps({**manifest, "model_class": "NoSuchModel"}))
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        experiment = mlflow.create_experiment("fetch", artifact_location=(root / "art").as_uri())
        version = _log(tracking_uri, experiment, tiny_model_dir)
        broken_version = _log(tracking_uri, experiment, broken)
    finally:
        mlflow.set_tracking_uri(previous)
    return Registry(tracking_uri, version, broken_version)


def _leftovers(artifacts: Path) -> list[str]:
    return sorted(p.name for p in (artifacts / MODEL_NAME).iterdir() if p.name.startswith("."))


def test_a_fetched_version_is_what_the_server_loads(registry: Registry, tmp_path: Path):
    fetched = fetch_model_version(registry.tracking_uri, MODEL_NAME, registry.version, tmp_path)
    assert fetched.downloaded and fetched.path == tmp_path / MODEL_NAME / registry.version
    manifest = read_manifest(fetched.path)
    assert (manifest.name, manifest.version) == (MODEL_NAME, registry.version)
    model, _ = load_model_dir(fetched.path)
    assert model.config.freq == "D"
    settings = load_settings(model_artifacts_dir=tmp_path, served_model_version=registry.version)
    assert choose_model_source(settings).directory == fetched.path
    assert _leftovers(tmp_path) == []


def test_a_second_fetch_downloads_nothing(registry, tmp_path, monkeypatch):
    fetch_model_version(registry.tracking_uri, MODEL_NAME, registry.version, tmp_path)

    def no_download(*args, **kwargs):
        raise AssertionError("the version is there: nothing may be downloaded")

    monkeypatch.setattr(registered_versions, "_download", no_download)
    again = fetch_model_version(registry.tracking_uri, MODEL_NAME, registry.version, tmp_path)
    assert not again.downloaded


def test_an_interrupted_download_leaves_no_version_behind(registry, tmp_path, monkeypatch):
    real_download = registered_versions._download

    def half_download(tracking_uri, model_name, version, destination):
        real_download(tracking_uri, model_name, version, destination)
        next(destination.rglob("*.parquet")).write_bytes(b"")  # then the pod is killed
        raise KeyboardInterrupt

    monkeypatch.setattr(registered_versions, "_download", half_download)
    with pytest.raises(KeyboardInterrupt):
        fetch_model_version(registry.tracking_uri, MODEL_NAME, registry.version, tmp_path)
    assert sorted(p.name for p in (tmp_path / MODEL_NAME).iterdir()) == []
    settings = load_settings(model_artifacts_dir=tmp_path, served_model_version=registry.version)
    with pytest.raises(Exception, match="has no version"):
        choose_model_source(settings)


def test_a_version_that_does_not_load_never_reaches_the_volume(registry, tmp_path):
    with pytest.raises(FetchError, match="does not load"):
        fetch_model_version(registry.tracking_uri, MODEL_NAME, registry.broken_version, tmp_path)
    assert list((tmp_path / MODEL_NAME).iterdir()) == []


def test_an_unknown_version_is_a_clear_error(registry, tmp_path):
    with pytest.raises(FetchError) as caught:
        fetch_model_version(registry.tracking_uri, MODEL_NAME, "99", tmp_path)
    assert f"models:/{MODEL_NAME}/99" in str(caught.value)
    assert registry.tracking_uri in str(caught.value)
    assert not (tmp_path / MODEL_NAME / "99").exists() and _leftovers(tmp_path) == []


def test_a_folder_in_the_way_is_refused(registry, tmp_path):
    (tmp_path / MODEL_NAME / registry.version).mkdir(parents=True)
    with pytest.raises(FetchError, match=r"holds no quantis_model\.json"):
        fetch_model_version(registry.tracking_uri, MODEL_NAME, registry.version, tmp_path)


def _command(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("QUANTIS_")}
    return subprocess.run(
        [sys.executable, "-m", "bentos.fetch_model"],
        cwd=REPO_ROOT,
        env={**inherited, "QUANTIS_SECRETS_DIR": "/nonexistent", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_init_container_command_reads_the_settings(registry, tmp_path):
    env = {
        "QUANTIS_MLFLOW_TRACKING_URI": registry.tracking_uri,
        "QUANTIS_MODEL_ARTIFACTS_DIR": str(tmp_path),
        "QUANTIS_SERVED_MODEL_VERSION": registry.version,
    }
    first, second = _command(env), _command(env)
    assert first.returncode == 0, first.stderr
    assert f"fetched {MODEL_NAME} version {registry.version}" in first.stdout
    assert second.returncode == 0 and "already present" in second.stdout
    assert (tmp_path / MODEL_NAME / registry.version / MANIFEST_NAME).is_file()

    nothing = _command({**env, "QUANTIS_SERVED_MODEL_VERSION": ""})
    assert nothing.returncode == 0 and "baked-in model" in nothing.stdout
    missing = _command({**env, "QUANTIS_SERVED_MODEL_VERSION": "99"})
    assert missing.returncode == 1 and "cannot give models:/" in missing.stderr


def test_the_versions_to_fetch_include_each_served_dataset(monkeypatch):
    from bentos.fetch_model import _arguments, _wanted
    from core.settings import get_settings

    monkeypatch.setenv("QUANTIS_SERVED_MODEL_VERSION", "7")
    monkeypatch.setenv("QUANTIS_SERVED_DATASET_VERSIONS", '{"web": "3", "shop": "5"}')
    get_settings.cache_clear()
    try:
        assert _wanted(_arguments(["--all-datasets"])) == [
            (MODEL_NAME, "7"),
            (f"{MODEL_NAME}-shop", "5"),
            (f"{MODEL_NAME}-web", "3"),
        ]
        assert _wanted(_arguments([])) == [(MODEL_NAME, "7")]
        assert _wanted(_arguments(["--dataset", "web"])) == [(f"{MODEL_NAME}-web", "3")]
        web_4 = ["--dataset", "web", "--version", "4"]
        assert _wanted(_arguments(web_4)) == [(f"{MODEL_NAME}-web", "4")]
        assert _wanted(_arguments(["--dataset", "absent"])) == []
    finally:
        get_settings.cache_clear()
