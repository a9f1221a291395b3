"""Fixtures for running the Dagster pipeline in-process against a temporary home."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.datasets import DEFAULT_DATASET
from core.datasets.partitions import sync_dataset_partitions
from core.db.engine import make_engine, session_scope
from core.db.migrate import upgrade
from core.db.repositories.datasets import list_datasets
from core.db.tables import ModelDeployment
from core.processes import stop_process_group
from core.run_tags import DATASET_TAG
from core.settings import Settings, get_settings

# Every asset of the `quantis_pipeline` job, upstream first.
PIPELINE_ASSETS = (
    "staged_observations",
    "observations",
    "trained_model",
    "backtest_report",
    "registered_model",
    "model_bento",
    "model_deployment",
)

FAST_RUN_CONFIG = {
    "ops": {
        "trained_model": {"config": {"horizon": 6, "num_boost_round": 40}},
        "backtest_report": {"config": {"n_windows": 1}},
    }
}


def forecast_from(endpoint: str, history, horizon: int = 6) -> list[dict]:
    """POST one series' history to a model server's `/forecast` (levels 80 and 95)."""
    body = {
        "series": [
            {
                "id": "s",
                "timestamps": [d.isoformat() for d in history["ds"]],
                "values": history["y"].tolist(),
            }
        ],
        "horizon": horizon,
        "levels": [80, 95],
    }
    return post_json(f"{endpoint}/forecast", body)


def post_json(url: str, body: dict) -> object:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def stop_model_servers(settings: Settings) -> None:
    """Stop every model server process a test's deployments recorded."""
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        pids = [(d.details or {}).get("pid") for d in session.scalars(select(ModelDeployment))]
    engine.dispose()
    for pid in pids:
        if pid:
            stop_process_group(pid)


@pytest.fixture
def pipeline_settings(isolated_settings: Path) -> Iterator[Settings]:
    """Settings on a fresh migrated home whose model server uses a free port."""
    import os

    from core.processes import free_port

    os.environ["QUANTIS_MODEL_SERVER_PORT"] = str(free_port())
    get_settings.cache_clear()
    settings = get_settings().ensure_home()
    upgrade(settings.database_url)
    yield settings
    stop_model_servers(settings)
    os.environ.pop("QUANTIS_MODEL_SERVER_PORT", None)


@pytest.fixture
def landing(pipeline_settings: Settings) -> Path:
    """The landing folder of `pipeline_settings`."""
    folder = Path(pipeline_settings.landing_url.removeprefix("file://"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def run_job(pipeline_settings: Settings):
    """Run a job of the code location in-process on an ephemeral instance."""
    import dagster as dg

    from orchestration.definitions import build_definitions

    defs = build_definitions(pipeline_settings)
    instance = dg.DagsterInstance.ephemeral()

    def run(
        job_name: str = "quantis_pipeline",
        run_config: dict | None = None,
        dataset: str = DEFAULT_DATASET,
    ):
        sync_dataset_partitions(instance, dataset_names_of(pipeline_settings))
        job = defs.resolve_job_def(job_name)
        return job.execute_in_process(
            run_config=FAST_RUN_CONFIG if run_config is None else run_config,
            instance=instance,
            partition_key=dataset,
            tags={DATASET_TAG: dataset},
            raise_on_error=False,
        )

    run.instance = instance
    return run


def dataset_names_of(settings: Settings) -> list[str]:
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        names = [dataset.name for dataset in list_datasets(session)]
    engine.dispose()
    return names
