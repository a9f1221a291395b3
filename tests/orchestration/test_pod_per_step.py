"""Proof that the pipeline is pod-ready: every step in its own process, in its own empty
working folder with a private scratch home, sharing only what pods share on Kubernetes.

Shared here: the PostgreSQL server (operational DB, MLflow's backend store, Dagster's run and
event storage), an MLflow tracking server with S3 artifacts, and an S3 endpoint on loopback
(moto's server). Nothing is mocked. Each step's scratch folder is removed when the step
ends, so a step that opened a file another step wrote would fail; and nothing but the deploy
target's serving store may appear in the home folder. Then the model served answers.
"""

from __future__ import annotations

import io
import os
import pickle
import re
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from core.db.migrate import upgrade
from core.processes import free_port, start_process, stop_process_group, wait_until_healthy
from core.settings import get_settings
from models.datasets import synthetic_panel
from orchestration.contracts import HandOff
from tests.orchestration.conftest import (
    FAST_RUN_CONFIG,
    forecast_from,
    stop_model_servers,
)
from tests.orchestration.conftest import (
    PIPELINE_ASSETS as PIPELINE_STEPS,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BUCKET = "quantis-pods"
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_BIN = Path(os.sys.executable).parent


@pytest.fixture
def s3_endpoint(tmp_path: Path) -> Iterator[str]:
    """moto's S3 server on a free loopback port, with the bucket created."""
    port = free_port()
    server = start_process(
        [str(_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        tmp_path / "logs" / "moto.log",
        env=S3_ENV,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until_healthy(f"{url}/moto-api/", timeout_s=60, pid=server.pid)
        boto3.client("s3", endpoint_url=url, **_boto_credentials()).create_bucket(Bucket=BUCKET)
        yield url
    finally:
        stop_process_group(server.pid)


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": S3_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_ENV["AWS_SECRET_ACCESS_KEY"],
        "region_name": S3_ENV["AWS_DEFAULT_REGION"],
    }


@pytest.fixture
def mlflow_server(postgres_server, s3_endpoint: str, tmp_path: Path) -> Iterator[str]:
    """An MLflow tracking server: PostgreSQL backend store, artifacts in S3."""
    backend = postgres_server.create_database()
    port = free_port()
    server = start_process(
        [
            str(_BIN / "mlflow"),
            "server",
            "--backend-store-uri",
            backend,
            "--default-artifact-root",
            f"s3://{BUCKET}/mlflow",
            "--no-serve-artifacts",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        tmp_path / "logs" / "mlflow.log",
        env=S3_ENV | {"MLFLOW_S3_ENDPOINT_URL": s3_endpoint},
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        healthy = wait_until_healthy(f"{url}/health", timeout_s=180, pid=server.pid)
        assert healthy, (tmp_path / "logs" / "mlflow.log").read_text()[-3000:]
        yield url
    finally:
        stop_process_group(server.pid)
        postgres_server.drop_database(backend)


def _dagster_yaml(storage_url: str) -> str:
    return f"""
storage:
  postgres:
    postgres_url: "{storage_url}"
compute_logs:
  module: dagster._core.storage.noop_compute_log_manager
  class: NoOpComputeLogManager
telemetry:
  enabled: false
"""


@pytest.fixture
def pod_settings(
    postgres_server, s3_endpoint, mlflow_server, tmp_path, monkeypatch
) -> Iterator[dict[str, Path]]:
    """Settings of the environment (step processes read them from there, as pods do)."""
    operational = postgres_server.create_database()
    dagster_storage = postgres_server.create_database()
    upgrade(operational)
    home = tmp_path / "home"
    dagster_home = tmp_path / "dagster-home"
    dagster_home.mkdir()
    # dagster-postgres binds NOTIFY parameters client-side, as psycopg2 does.
    storage_url = dagster_storage.replace("postgresql+psycopg://", "postgresql+psycopg2://")
    (dagster_home / "dagster.yaml").write_text(_dagster_yaml(storage_url))
    env = S3_ENV | {
        "QUANTIS_EXECUTOR": "multiprocess",
        "QUANTIS_HOME": str(home),
        "QUANTIS_DAGSTER_HOME": str(dagster_home),
        "QUANTIS_SCRATCH_DIR": str(tmp_path / "scratch"),
        "QUANTIS_DATABASE_URL": operational,
        "QUANTIS_OBJECT_STORE_URL": f"s3://{BUCKET}/objects",
        "QUANTIS_LANDING_URL": f"s3://{BUCKET}/landing",
        "QUANTIS_S3_ENDPOINT_URL": s3_endpoint,
        "QUANTIS_MLFLOW_TRACKING_URI": mlflow_server,
        "QUANTIS_MLFLOW_ARTIFACT_ROOT": f"s3://{BUCKET}/mlflow",
        "QUANTIS_MODEL_SERVER_PORT": str(free_port()),
        "DAGSTER_HOME": str(dagster_home),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    empty = tmp_path / "orchestrator-cwd"
    empty.mkdir()
    monkeypatch.chdir(empty)
    get_settings.cache_clear()
    try:
        yield {"home": home, "scratch": tmp_path / "scratch", "dagster_home": dagster_home}
    finally:
        stop_model_servers(get_settings())
        postgres_server.drop_database(operational)
        postgres_server.drop_database(dagster_storage)


def _land(s3_endpoint: str) -> None:
    panel = synthetic_panel(8, 72, "MS", seed=3)
    body = panel.to_csv(index=False).encode()
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, **_boto_credentials())
    s3.put_object(Bucket=BUCKET, Key="landing/panel.csv", Body=body)


def _step_records(run_id: str) -> tuple[dict[str, int], dict[str, tuple[int, str, str]]]:
    """Per step: the pid of its STEP_START, and its scratch log line (pid, folder, cwd)."""
    import dagster as dg

    pids: dict[str, int] = {}
    scratch: dict[str, tuple[int, str, str]] = {}
    pattern = re.compile(r"step scratch (\S+) \(pid (\d+), cwd (\S+)\)")
    with dg.DagsterInstance.get() as instance:
        for record in instance.all_logs(run_id):
            event = record.dagster_event
            if event is not None and event.event_type_value == "STEP_START":
                pids[event.step_key] = event.pid
            found = pattern.search(record.user_message or "")
            if found and record.step_key:
                scratch[record.step_key] = (int(found[2]), found[1], found[3])
    return pids, scratch


def _handoffs(s3_endpoint: str) -> dict[str, object]:
    """What each asset handed on for the `default` dataset's partition, as the S3 IO manager
    stored it (`<asset>/<partition key>`)."""
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, **_boto_credentials())
    found = {}
    for step in PIPELINE_STEPS:
        key = f"objects/dagster-io/{step}/default"
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        found[step] = pickle.load(io.BytesIO(body))
    return found


def test_every_step_in_its_own_process_and_folder_sharing_only_db_mlflow_and_s3(
    pod_settings, s3_endpoint
):
    from quantis.pipeline_runner import run_pipeline

    _land(s3_endpoint)
    settings = get_settings()
    assert settings.executor == "multiprocess"

    outcome = run_pipeline(settings, run_config=FAST_RUN_CONFIG)
    assert outcome.success, outcome.failures
    assert set(PIPELINE_STEPS) <= set(outcome.metadata)

    pids, scratch = _step_records(outcome.run_id)
    assert set(pids) == set(PIPELINE_STEPS)
    assert len(set(pids.values())) == len(PIPELINE_STEPS), pids  # a process per step
    assert os.getpid() not in pids.values()
    assert set(scratch) == set(PIPELINE_STEPS)
    folders = {folder for _, folder, _ in scratch.values()}
    assert len(folders) == len(PIPELINE_STEPS)  # a folder per step
    for step, (pid, folder, cwd) in scratch.items():
        assert pid == pids[step] and cwd == folder, step  # working inside its own folder
        assert Path(folder).parent == pod_settings["scratch"]
        assert not Path(folder).exists(), f"{step}'s scratch outlived the step"

    # Only the deploy target's serving store (the "cluster": its Bentos, and the artifacts
    # folder where it keeps the other datasets' served versions) is left on the local disk.
    assert {p.name for p in pod_settings["home"].iterdir()} <= {
        "bentoml",
        "logs",
        "model-artifacts",
    }
    assert [p.name for p in pod_settings["dagster_home"].iterdir()] == ["dagster.yaml"]

    handoffs = _handoffs(s3_endpoint)
    assert all(isinstance(value, HandOff) for value in handoffs.values()), handoffs
    rollout = handoffs["model_deployment"]
    assert rollout.model_version == handoffs["registered_model"].champion_version == "1"

    panel = synthetic_panel(8, 72, "MS", seed=3)
    [forecast] = forecast_from(rollout.endpoint_url, panel[panel["unique_id"] == "s00000"])
    assert len(forecast["points"]) == 6
    point = forecast["points"][0]
    assert point["lower"]["95"] <= point["lower"]["80"] <= point["yhat"] <= point["upper"]["80"]
