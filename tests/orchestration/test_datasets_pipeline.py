"""The pipeline partitioned by dataset: two datasets of different frequencies, each trained
on its own series at its own frequency into its own registered model, a bad file in one
stopping that dataset's run and not the other's; landing prefixes and the partition sync."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest
from sqlalchemy import func, select

from core.datasets import DatasetConfig
from core.datasets.partitions import DATASET_PARTITIONS
from core.db.engine import make_engine, session_scope
from core.db.repositories.datasets import create_dataset, get_dataset
from core.db.tables import Observation, QuarantinedRow, Series
from core.mlflow_names import TAG_DATASET, registered_model_name
from core.registry import ModelRegistry
from core.run_tags import DATASET_TAG
from models.datasets import synthetic_panel
from orchestration.defs.ingestion.automation import landing_file_sensor
from orchestration.defs.serving.served_datasets import read_served
from orchestration.resources import LandingArea, OperationalDatabase


def _create(settings, name: str, frequency: str) -> None:
    with session_scope(make_engine(settings.database_url)) as session:
        create_dataset(session, DatasetConfig(name=name, frequency=frequency))


def _series_count(settings, dataset: str) -> int:
    with session_scope(make_engine(settings.database_url)) as session:
        dataset_id = get_dataset(session, dataset).id
        return session.scalar(
            select(func.count(Observation.series_id))
            .join(Series, Series.id == Observation.series_id)
            .where(Series.dataset_id == dataset_id)
        )


def _metadata(result, asset: str) -> dict:
    [event] = result.asset_materializations_for_node(asset)
    return {key: value.value for key, value in event.metadata.items()}


@pytest.mark.slow
def test_two_datasets_train_apart_and_a_bad_file_stops_only_its_own(
    pipeline_settings, landing, run_job
):
    _create(pipeline_settings, "quarterly", "QS")
    _create(pipeline_settings, "monthly", "MS")
    quarterly = synthetic_panel(5, 40, "QS", seed=4)
    monthly = synthetic_panel(5, 60, "MS", seed=5)
    (landing / "quarterly").mkdir()
    (landing / "monthly").mkdir()
    quarterly.to_csv(landing / "quarterly" / "panel.csv", index=False)
    monthly.to_csv(landing / "monthly" / "panel.csv", index=False)
    # Daily-dated rows landed into the quarterly dataset: off its grid, 30 of 230 rows.
    daily = synthetic_panel(1, 30, "D", seed=6).assign(unique_id="q-daily")
    daily.to_csv(landing / "quarterly" / "daily.csv", index=False)

    stopped = run_job(dataset="quarterly")
    assert not stopped.success
    assert not stopped.asset_materializations_for_node("trained_model")
    [grid] = [
        c for c in stopped.get_asset_check_evaluations() if c.check_name == "on_frequency_grid"
    ]
    assert not grid.passed and grid.severity.value == "ERROR"
    assert grid.metadata["failed_rows"].value == 30
    with session_scope(make_engine(pipeline_settings.database_url)) as session:
        reasons = session.scalars(select(QuarantinedRow.reason)).all()
    assert len(reasons) == 30 and all("on_frequency_grid" in r for r in reasons)
    assert _series_count(pipeline_settings, "quarterly") == 0  # nothing loaded

    served = run_job(dataset="monthly")
    assert served.success, [e.message for e in served.all_events if e.is_failure]
    assert run_job.instance.get_run_by_id(served.run_id).tags[DATASET_TAG] == "monthly"
    assert _series_count(pipeline_settings, "monthly") == len(monthly)
    assert _metadata(served, "observations")["frequency"] == "MS"
    trained = _metadata(served, "trained_model")
    assert trained["freq"] == "MS" and trained["series"] == 5
    base = pipeline_settings.registered_model_name
    monthly_registry = ModelRegistry(
        pipeline_settings.mlflow_tracking_uri, registered_model_name(base, "monthly")
    )
    champion = monthly_registry.champion()
    assert champion is not None and champion.version == "1"
    assert champion.tags[TAG_DATASET] == "monthly"
    assert _metadata(served, "registered_model")["registered_model"] == f"{base}-monthly"
    # Its champion is rolled out to the one model server of every dataset; none runs yet
    # (the default dataset was never rolled out), so it is fetched and recorded for its start.
    assert served.asset_materializations_for_node("model_deployment")
    artifacts = pipeline_settings.model_artifacts_dir or pipeline_settings.home / "model-artifacts"
    assert read_served(artifacts) == {"monthly": "1"}
    assert (artifacts / f"{pipeline_settings.registered_model_name}-monthly" / "1").is_dir()
    # Neither dataset touched the default dataset's registered model.
    assert not ModelRegistry(pipeline_settings.mlflow_tracking_uri, base).exists()

    # The quarterly dataset's good file alone now trains at its own frequency.
    (landing / "quarterly" / "daily.csv").unlink()
    again = run_job(dataset="quarterly")
    assert again.success, [e.message for e in again.all_events if e.is_failure]
    assert _metadata(again, "trained_model")["freq"].startswith("QS")
    quarterly_registry = ModelRegistry(
        pipeline_settings.mlflow_tracking_uri, registered_model_name(base, "quarterly")
    )
    # Its own registered model: version 1 (champion or not, by its own backtest).
    assert quarterly_registry.by_alias("challenger").version == "1"
    assert monthly_registry.champion().version == "1"


def test_files_are_picked_up_by_their_dataset_prefix(pipeline_settings, landing, run_job):
    _create(pipeline_settings, "monthly", "MS")
    panel = synthetic_panel(2, 30, "MS", seed=1)
    (landing / "nosuch").mkdir()
    panel.to_csv(landing / "nosuch" / "stray.csv", index=False)
    panel.to_csv(landing / "root.csv", index=False)

    result = run_job("ingestion", run_config={})  # the default dataset's run
    assert result.success
    staged = _metadata(result, "staged_observations")
    assert staged["files_read"] == 1 and staged["files_quarantined"] == 1
    assert _series_count(pipeline_settings, "default") == len(panel)  # the root file
    assert _series_count(pipeline_settings, "monthly") == 0
    reason = (landing / "_quarantine" / "nosuch" / "stray.csv.reason.txt").read_text()
    assert "'nosuch' names no dataset" in reason and "monthly" in reason
    assert not (landing / "nosuch" / "stray.csv").exists()


def test_the_landing_sensor_syncs_partitions_and_requests_a_run_per_dataset(
    pipeline_settings, landing
):
    _create(pipeline_settings, "monthly", "MS")
    _create(pipeline_settings, "weekly", "W-SUN")
    (landing / "monthly").mkdir()
    synthetic_panel(2, 30, "MS").to_csv(landing / "monthly" / "a.csv", index=False)
    synthetic_panel(2, 30, "MS").to_csv(landing / "b.csv", index=False)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(DATASET_PARTITIONS, ["deleted-one", "default"])
    resources = {
        "landing": LandingArea(url=pipeline_settings.landing_url),
        "database": OperationalDatabase(url=pipeline_settings.database_url),
    }
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = landing_file_sensor(context)
    runs = {request.partition_key: request for request in result.run_requests}
    assert set(runs) == {"default", "monthly"}  # weekly has no new file
    assert runs["monthly"].tags[DATASET_TAG] == "monthly"
    added, deleted = result.dynamic_partitions_requests
    assert list(added.partition_keys) == ["monthly", "weekly"]
    assert list(deleted.partition_keys) == ["deleted-one"]


def test_the_dataset_grid_check_names_each_off_grid_row():
    from orchestration.defs.ingestion.expectations import frequency_grid_outcome

    batch = pd.DataFrame(
        {
            "unique_id": ["a", "a", "a", "b", None],
            "ds": pd.to_datetime(
                ["2024-01-01", "2024-02-01", "2024-02-15", "2024-03-01", "2024-03-02"]
            ),
        }
    )
    outcome = frequency_grid_outcome(batch, "MS", {})
    # a row without a series (values for every series) is on the grid too
    assert not outcome.success and outcome.failed_rows == {2, 4}
    assert frequency_grid_outcome(batch, None, {}).success  # frequency not fixed yet
    daily = pd.DataFrame(
        {"unique_id": [None, None], "ds": pd.to_datetime(["2024-01-01 09:00", "2024-01-02 00:00"])}
    )
    first = {"a": pd.Timestamp("2023-12-01 09:00").to_pydatetime()}
    assert frequency_grid_outcome(daily, "D", first).failed_rows == {1}  # from the first stored
