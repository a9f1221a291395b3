"""The operational gauges on `/metrics`, read from the database, registry and Dagster."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from served_model import register_champion
from sqlalchemy.orm import sessionmaker

from api.main import create_app
from api.operational_metrics import (
    DATASET_GAUGES,
    OPERATIONAL_METRICS,
    PENDING,
    OperationalCollector,
)
from core.backup import catalog
from core.datasets import DatasetConfig
from core.db.engine import make_engine, session_scope
from core.db.repositories.backups import record_backup_finished, record_backup_started
from core.db.repositories.datasets import create_dataset, ensure_default_dataset, find_dataset
from core.db.repositories.live_accuracy import AccuracyRow, replace_day
from core.db.repositories.observations import upsert_observations
from core.db.repositories.series import create_series
from core.db.tables import Base
from core.mlflow_names import registered_model_name
from core.run_tags import DATASET_TAG
from core.settings import load_settings


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_empty_platform_reports_no_backup_and_an_unreachable_dagster(client):
    samples = _samples(client.get("/metrics").text)
    assert samples[("quantis_backup_age_seconds", ())] == math.inf
    assert samples[("quantis_metrics_source_up", (("source", "database"),))] == 1.0
    assert samples[("quantis_metrics_source_up", (("source", "dagster"),))] == 0.0
    assert ("quantis_data_freshness_seconds", ()) not in samples  # no observation yet
    assert samples[("quantis_accuracy_degradation_factor", ())] == 1.5


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_gauges_follow_data_backups_drills_and_each_dataset_s_champion_accuracy(
    api_settings, api_options, tmp_path
):
    # Two datasets, each with its own champion (backtest), data and live accuracy.
    base = api_settings.registered_model_name
    seeded = {  # dataset -> (backtest MASE, newest observation, live MASE, 80% coverage)
        "default": (0.8, datetime(2026, 1, 1, tzinfo=UTC), 1.2, 0.75),
        "web": (1.3, datetime(2026, 2, 1, tzinfo=UTC), 2.5, 0.5),
    }
    engine = make_engine(api_settings.database_url)
    for dataset, (backtest, newest, live, covered) in seeded.items():
        model_name = registered_model_name(base, dataset)
        register_champion(
            api_settings.mlflow_tracking_uri, model_name, tmp_path / dataset, backtest
        )
        with session_scope(engine) as session:
            if dataset != "default":
                create_dataset(session, DatasetConfig(name=dataset, frequency="D"))
            series = create_series(
                session, f"{dataset}-a", "D", dataset_id=find_dataset(session, dataset).id
            )
            upsert_observations(session, [(series.id, newest, 1.0)])
            row = AccuracyRow("1", series.id, 2, live, 10.0, 0.0, 1.0, {"80": covered})
            replace_day(session, date(2026, 1, 1), model_name, [row])
    with session_scope(engine) as session:
        record_backup_started(session, backup_id="b1", kind=catalog.BACKUP_KIND, location="x")
        record_backup_finished(session, "b1", status="succeeded")
    engine.dispose()
    catalog.record_drill(api_settings.database_url, "d1", "x", False, {"error": "test"})

    with TestClient(create_app(api_settings, api_options)) as client:  # reads the registry now
        samples = _scrape_once_the_registry_is_read(client)
    assert 0 <= samples[("quantis_backup_age_seconds", ())] < 60
    assert samples[("quantis_backup_drill_last_success", ())] == 0.0
    for dataset, (backtest, newest, live, covered) in seeded.items():
        labels = (("dataset", dataset),)
        assert 0 <= samples[("quantis_data_freshness_seconds", labels)] < 60
        newest_ts = samples[("quantis_data_newest_observation_timestamp_seconds", labels)]
        assert newest_ts == newest.timestamp()
        labels = (("dataset", dataset), ("version", "1"))
        assert samples[("quantis_champion_live_mase", labels)] == pytest.approx(live)
        assert samples[("quantis_champion_backtest_mase", labels)] == pytest.approx(backtest)
        level = (("dataset", dataset), ("level", "80"), ("version", "1"))
        assert samples[("quantis_champion_live_coverage_ratio", level)] == covered
    per_dataset = {name for name, labels in samples if ("dataset", "web") in labels}
    assert per_dataset == DATASET_GAUGES - PIPELINE_GAUGES  # Dagster is not running here
    exported = {name for name, _ in samples}
    assert exported <= set(OPERATIONAL_METRICS) | _request_metrics(exported)


PIPELINE_GAUGES = {
    "quantis_pipeline_last_success_timestamp_seconds",
    "quantis_pipeline_last_run_failed",
}


def _scrape_once_the_registry_is_read(client: TestClient) -> dict[tuple[str, tuple], float]:
    """Scrapes until the registry's first read (begun at start-up) has ended."""
    deadline = time.monotonic() + 120
    while True:
        samples = _samples(client.get("/metrics").text)
        if REGISTRY_UP in samples or time.monotonic() > deadline:
            return samples
        time.sleep(0.2)


REGISTRY_UP = ("quantis_metrics_source_up", (("source", "registry"),))


def _request_metrics(names: set[str]) -> set[str]:
    return {n for n in names if n.startswith(("quantis_api_", "python_", "process_"))}


def test_pipeline_gauges_take_the_newest_run_of_each_job_and_dataset():
    web, default = {DATASET_TAG: "web"}, {DATASET_TAG: "default"}
    runs = [  # newest first, as Dagster lists them
        {"job_name": "retrain", "status": "FAILURE", "ended_at": 300.0, "tags": web},
        {"job_name": "retrain", "status": "SUCCESS", "ended_at": 250.0, "tags": default},
        {"job_name": "retrain", "status": "SUCCESS", "ended_at": 200.0, "tags": web},
        {"job_name": "backup", "status": "STARTED", "ended_at": None, "tags": {}},
        {"job_name": "backup", "status": "SUCCESS", "ended_at": 100.0, "tags": {}},
        {"job_name": "retrain", "status": "SUCCESS", "ended_at": 50.0, "tags": web},
    ]
    families = {f.name: f for f in OperationalCollector(state=None)._pipeline_families(runs)}

    def by_job_and_dataset(name: str) -> dict[tuple[str, str], float]:
        return {
            (s.labels["job_name"], s.labels["dataset"]): s.value for s in families[name].samples
        }

    success = by_job_and_dataset("quantis_pipeline_last_success_timestamp_seconds")
    failed = by_job_and_dataset("quantis_pipeline_last_run_failed")
    # A platform job (no dataset tag) has an empty, so absent, dataset label.
    assert success == {("retrain", "web"): 200.0, ("retrain", "default"): 250.0,
                       ("backup", ""): 100.0}  # fmt: skip
    assert failed == {("retrain", "web"): 1.0, ("retrain", "default"): 0.0, ("backup", ""): 0.0}


def test_cached_sources_are_read_once_per_interval():
    calls = []

    class Pipeline:
        def latest_runs(self, limit):
            calls.append(limit)
            if len(calls) == 1:
                raise RuntimeError("dagster down")
            return []

    class State:
        pipeline = Pipeline()

    collector = OperationalCollector(State(), cache_s=3600)
    with pytest.raises(RuntimeError):
        collector._runs.get()
    assert collector._runs.get() == []  # a failure is not cached: retried next scrape
    assert collector._runs.get() == []  # a success is, for cache_s
    assert len(calls) == 2


class _SlowRegistryState:
    """A state whose registry takes as long as the test wants (MLflow's first import), over a
    database that holds the `default` dataset and whose Dagster has no run."""

    def __init__(self, database: Path) -> None:
        self.imported = threading.Event()
        self.pipeline = SimpleNamespace(latest_runs=lambda limit: [])
        self.settings = load_settings(database_url=f"sqlite:///{database}")
        engine = make_engine(self.settings.database_url)
        Base.metadata.create_all(engine)
        with session_scope(engine) as session:
            ensure_default_dataset(session)
        self.sessions = sessionmaker(engine)

    def registry(self, dataset):
        assert self.imported.wait(timeout=60)

        class Registry:
            @staticmethod
            def champion():
                return None  # no champion yet: the registry answered

        return Registry()


def _sources_up(collector: OperationalCollector) -> dict[str, float]:
    """One scrape's `quantis_metrics_source_up`: source -> 1 (read) or 0 (unreadable)."""
    [up] = [f for f in collector.collect() if f.name == "quantis_metrics_source_up"]
    return {s.labels["source"]: s.value for s in up.samples}


def test_a_scrape_never_waits_for_the_registry(tmp_path):
    state = _SlowRegistryState(tmp_path / "db.sqlite")
    collector = OperationalCollector(state, cache_s=3600)
    reading = collector.warm_up()
    assert reading is not None and reading.is_alive()
    first = _sources_up(collector)
    # Answered while the registry is still being read: the other sources, none for it.
    assert first == {"database": 1.0, "dagster": 1.0}
    assert collector._champion.get() is PENDING
    state.imported.set()
    reading.join(timeout=60)
    after = _sources_up(collector)
    assert after["registry"] == 1.0
    assert collector.warm_up() is None  # fresh for cache_s: no second read


def test_a_failed_registry_read_reports_the_source_down_and_is_read_again(tmp_path):
    calls = []

    class State(_SlowRegistryState):
        def registry(self, dataset):
            calls.append(dataset)
            raise RuntimeError("mlflow unreachable")

    collector = OperationalCollector(State(tmp_path / "db.sqlite"), cache_s=3600)
    collector.warm_up().join(timeout=60)
    samples = _sources_up(collector)
    assert samples["registry"] == 0.0
    collector.settle(timeout_s=60)  # the scrape started another read: let it end
    assert calls == ["default", "default"]  # each read asks for every dataset's champion


def test_settle_waits_for_a_registry_read_in_flight(tmp_path):
    # The app's shutdown settles before it closes the state the read uses (and before
    # another migration in the process could share Alembic's context with MLflow's).
    state = _SlowRegistryState(tmp_path / "db.sqlite")
    collector = OperationalCollector(state, cache_s=3600)
    reading = collector.warm_up()
    collector.settle(timeout_s=0.05)
    assert reading.is_alive()  # bounded: it gave up after its timeout
    threading.Timer(0.2, state.imported.set).start()
    collector.settle(timeout_s=60)
    assert not reading.is_alive()
    assert collector.warm_up() is None  # the read ended and its value is fresh
