"""Local roll-out with real Bentos and real `bentoml serve` processes."""

from __future__ import annotations

import json
import shutil
import urllib.request
from dataclasses import replace
from pathlib import Path

import dagster as dg
import pytest

from core.db.engine import make_engine, session_scope
from core.db.migrate import upgrade
from core.db.repositories.deployments import get_active_deployment, list_deployments
from core.processes import free_port, is_alive, stop_process_group
from core.storage import open_object_store
from models import LightGBMForecaster
from models.artifact import ModelManifest, read_manifest, save_model_dir, write_manifest
from models.datasets import synthetic_panel
from orchestration.contracts import BuiltBento
from orchestration.defs.serving import targets
from orchestration.defs.serving.bento_build import BentoCatalog, build_model_bento
from orchestration.defs.serving.served_datasets import read_served
from orchestration.defs.serving.targets import LocalDeployTarget
from orchestration.resources import OperationalDatabase

pytestmark = pytest.mark.slow
WEB_MODEL = "quantis-forecaster-web"  # the `web` dataset's registered model (the default base)


def _model_dir(tmp_path: Path, version: str) -> Path:
    panel = synthetic_panel(3, 48, "MS", seed=int(version))
    model = LightGBMForecaster.from_defaults(
        "MS", 12, 3, num_boost_round=5, interval_windows=0
    ).fit(panel)
    directory = tmp_path / f"model-{version}"
    manifest = ModelManifest("LightGBMForecaster", "MS", 12, 3, name="m", version=version)
    save_model_dir(model, directory, manifest)
    return directory


def _model_info(url: str, dataset: str = "default") -> dict:
    body = json.dumps({"dataset": dataset}).encode()
    request = urllib.request.Request(
        f"{url}/model_info", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _packaged(tmp_path: Path, store, version: str) -> BuiltBento:
    """Built in its own store and exported to the object store, as `model_bento` does."""
    archive = tmp_path / f"{version}.bento"
    built = build_model_bento(
        _model_dir(tmp_path, version), model_name="m", labels={},
        bentoml_home=tmp_path / f"build-{version}", archive=archive,
    )  # fmt: skip
    key = BentoCatalog(store).put("m", version, built, archive)
    return BuiltBento(built.bento_tag, built.model_tag, version, key)


def _fake_fetch(tmp_path: Path, fetched: list):
    """`fetch_model_version` without MLflow (tests/bentos/test_fetch_model.py covers it): the
    version's model folder put on the artifacts folder, stamped with its name and version."""

    def fetch(tracking_uri: str, model_name: str, version: str, artifacts_dir: Path):
        fetched.append((model_name, version))
        target = artifacts_dir / model_name / version
        if not target.exists():
            shutil.copytree(_model_dir(tmp_path, f"1{version}"), target)
            write_manifest(target, replace(read_manifest(target), name=model_name, version=version))
        return target

    return fetch


def test_healthy_server_replaces_the_old_one_and_a_broken_one_does_not(tmp_path, monkeypatch):
    """With a second dataset, `web`: its champion is served by the same process, swapped
    alone, and kept by the next server the `default` dataset's roll-out starts."""
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    upgrade(url)
    database = OperationalDatabase(url=url)
    store = open_object_store(str(tmp_path / "objects"))
    home = tmp_path / "bentoml"
    target = LocalDeployTarget(
        bentoml_home=str(home), log_dir=str(tmp_path / "logs"),
        preferred_port=free_port(), health_timeout_s=60,
        artifacts_dir=str(tmp_path / "artifacts"),
    )  # fmt: skip
    fetched: list = []
    monkeypatch.setattr(targets, "fetch_model_version", _fake_fetch(tmp_path, fetched))
    web = {"dataset": "web", "model_name": WEB_MODEL, "tracking_uri": "unused"}
    pids = []
    try:
        # No server runs yet: the version is fetched and recorded for the first server.
        pending = target.roll_out_dataset(database, model_version="3", **web)
        assert pending.endpoint_url == "" and fetched == [(WEB_MODEL, "3")]
        assert read_served(tmp_path / "artifacts") == {"web": "3"}

        first = _packaged(tmp_path, store, "1")
        one = target.roll_out(database, store, bento=first, model_name="m")
        with session_scope(make_engine(url)) as session:
            pids.append(get_active_deployment(session, "local").details["pid"])
        assert _model_info(one.endpoint_url)["version"] == "1"
        assert _model_info(one.endpoint_url, "web")["version"] == "3"

        # `web`'s next champion is swapped into the running server; `default` is untouched.
        swapped = target.roll_out_dataset(database, model_version="4", **web)
        assert (swapped.endpoint_url, swapped.reused) == (one.endpoint_url, False)
        assert _model_info(one.endpoint_url, "web")["version"] == "4"
        assert _model_info(one.endpoint_url)["version"] == "1"
        assert target.roll_out_dataset(database, model_version="4", **web).reused
        assert read_served(tmp_path / "artifacts") == {"web": "4"}

        with pytest.raises(dg.Failure, match="did not become healthy"):
            broken = BuiltBento(first.bento_tag, "m:does-not-exist", "broken", first.bento_key)
            target.roll_out(database, store, bento=broken, model_name="m")
        with session_scope(make_engine(url)) as session:
            active = get_active_deployment(session, "local")
            statuses = [d.status for d in list_deployments(session).items]
        assert active.id == one.deployment_id and "failed" in statuses
        assert _model_info(one.endpoint_url)["version"] == "1"  # the old one still serves

        second = _packaged(tmp_path, store, "2")
        two = target.roll_out(database, store, bento=second, model_name="m")
        with session_scope(make_engine(url)) as session:
            pids.append(get_active_deployment(session, "local").details["pid"])
        assert two.replaced_deployment_id == one.deployment_id
        assert _model_info(two.endpoint_url)["version"] == "2"
        assert _model_info(two.endpoint_url, "web")["version"] == "4"  # kept by the new server
        assert not is_alive(pids[0])  # the old server was stopped after the switch
    finally:
        for pid in pids:
            stop_process_group(pid)
