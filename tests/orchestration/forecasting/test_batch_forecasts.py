"""batch_forecasts: every series of a dataset's shard forecast by the dataset's rolled-out
model, at the dataset's horizon and levels, stored in bulk; the after-roll-out sensor asks for
the shards of each dataset rolled out, and `quantis up` runs them itself."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from sqlalchemy import select

from core.datasets import DatasetConfig
from core.datasets.partitions import DATASET_PARTITIONS
from core.db.engine import make_engine, session_scope
from core.db.repositories import datasets, forecasts, observations, series
from core.db.tables import Forecast
from models.artifact import load_model_dir
from models.datasets import synthetic_panel
from orchestration.contracts import Rollout
from orchestration.definitions import build_definitions
from orchestration.defs.forecasting import assets
from orchestration.defs.forecasting.assets import (
    BatchForecastPolicy,
    ShardPlan,
    make_batch_forecasts,
)
from orchestration.defs.forecasting.automation import rollouts_after
from orchestration.defs.forecasting.sharding import (
    batch_key,
    batch_keys,
    dataset_and_shard,
    shard_keys,
    shard_of,
)
from orchestration.resources import MLflowTracking, OperationalDatabase, StepScratch
from tests.bentos.served_model import MODEL_VERSION, tiny_panel

HORIZON = 5  # the `default` dataset's
OTHER_HORIZON = 3  # the `other` dataset's


class _RegisteredModel(MLflowTracking):
    """The registry stand-in: every version is the tiny model directory."""

    model_dir: str

    def model_version_dir(self, version: str, scratch: Path, dataset: str = "default") -> Path:
        return Path(self.model_dir)


class _RolledOut(dg.IOManager):
    def handle_output(self, context, obj):  # batch_forecasts returns no value to store
        pass

    def load_input(self, context):
        return Rollout(
            deployment_id=1,
            endpoint_url="http://127.0.0.1:8001",
            model_version=MODEL_VERSION,
            bento_tag="quantis-forecaster:7",
        )


@pytest.fixture
def database(db_url) -> str:
    """`default` (horizon 5): seven series, one too short, one without observations; `other`
    (horizon 3, one level): two series named like two of default's."""
    panel = tiny_panel(n_series=7, length=60)
    short = tiny_panel(n_series=1, length=3, seed=9).assign(unique_id="too-short")
    with session_scope(make_engine(db_url)) as session:
        datasets.update_dataset(session, "default", {"horizon": HORIZON})
        other = datasets.create_dataset(
            session, DatasetConfig(name="other", horizon=OTHER_HORIZON, levels=(90,))
        )
        observations.upsert_panel(session, pd.concat([panel, short]))
        # named like two of default's, shorter: their cut-off tells whose history was read
        theirs = synthetic_panel(2, 50, "D", seed=4, end="2024-11-30")
        observations.upsert_panel(session, theirs, dataset_id=other.id)
        series.create_series(session, "no-observations")
    return db_url


def _materialize(db_url: str, model_dir: Path, tmp_path: Path, shards: int, key):
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(DATASET_PARTITIONS, ["default", "other"])
    return dg.materialize(
        [make_batch_forecasts(shards), dg.SourceAsset("model_deployment")],
        partition_key=key,
        instance=instance,
        resources={
            "database": OperationalDatabase(url=db_url),
            "mlflow_tracking": _RegisteredModel(
                tracking_uri="sqlite:///unused.db",
                artifact_root=str(tmp_path),
                model_name="quantis-forecaster",
                model_dir=str(model_dir),
            ),
            "batch_policy": BatchForecastPolicy(write_batch=2),
            "scratch": StepScratch(root=str(tmp_path / "steps")),
            "io_manager": _RolledOut(),
        },
    )


def _dataset_id(database: str, name: str) -> int:
    with session_scope(make_engine(database)) as session:
        return datasets.find_dataset(session, name).id


def test_every_series_of_every_shard_gets_one_stored_forecast(database, tiny_model_dir, tmp_path):
    shards = 3
    for key in batch_keys("default", shards):
        result = _materialize(database, tiny_model_dir, tmp_path, shards, key)
        assert result.success
    default_id = _dataset_id(database, "default")
    with session_scope(make_engine(database)) as session:
        stored = session.scalars(select(Forecast)).all()
        listed = series.list_series(session, limit=100, dataset_id=default_id).items
        by_name = {s.id: s.name for s in listed}
        # only the default dataset's series: `other`'s were not forecast by default's shards
        assert {f.series_id for f in stored} <= set(by_name)
        names = sorted(by_name[f.series_id] for f in stored)
        # every series with enough history once; the two others named, not dropped
        assert names == sorted(set(by_name.values()) - {"too-short", "no-observations"})
        assert {f.kind for f in stored} == {"batch"}
        assert {f.model_version for f in stored} == {MODEL_VERSION}
        assert {f.horizon for f in stored} == {HORIZON}
        first = stored[0]
        last_seen = observations.read_observations(session, first.series_id)[-1].ts
        assert first.data_cutoff == last_seen
        assert pd.Timestamp(first.payload[0]["ds"]) > pd.Timestamp(last_seen).tz_localize(None)
        assert set(first.payload[0]["lo"]) == {"80", "95"}
        request_ids = {f.request_id for f in stored}
        assert len(request_ids) == shards and all(r.startswith("batch:") for r in request_ids)


def test_stored_points_are_the_models_forecast(database, tiny_model_dir, tmp_path):
    [key] = batch_keys("default", 1)
    assert _materialize(database, tiny_model_dir, tmp_path, 1, key).success
    model, _ = load_model_dir(tiny_model_dir)
    with session_scope(make_engine(database)) as session:
        store = series.get_series_by_name(session, "s00002")
        latest = forecasts.latest_forecast(session, store.id, kind="batch")
        history = observations.read_recent_panel(session, 730, ["s00002"])
    expected = model.predict(HORIZON, levels=[80, 95], history=history)
    assert [p["yhat"] for p in latest.payload] == pytest.approx(expected["yhat"].tolist())
    assert [p["hi"]["95"] for p in latest.payload] == pytest.approx(expected["yhat_hi_95"].tolist())


def test_a_dataset_forecasts_its_own_series_at_its_own_horizon_and_levels(
    database, tiny_model_dir, tmp_path
):
    [key] = batch_keys("other", 1)
    result = _materialize(database, tiny_model_dir, tmp_path, 1, key)
    assert result.success
    other_id = _dataset_id(database, "other")
    with session_scope(make_engine(database)) as session:
        stored = session.scalars(select(Forecast)).all()
        mine = {s.id for s in series.list_series(session, limit=100, dataset_id=other_id).items}
        assert len(stored) == 2 and {f.series_id for f in stored} == mine
        assert {f.horizon for f in stored} == {OTHER_HORIZON}
        assert {f.model_name for f in stored} == {"quantis-forecaster-other"}
        assert all(set(point["lo"]) == {"90"} for f in stored for point in f.payload)
        assert all(len(f.payload) == OTHER_HORIZON for f in stored)
        for forecast in stored:  # forecast from its own dataset's history, not default's
            own = observations.read_observations(session, forecast.series_id)[-1].ts
            assert forecast.data_cutoff == own


def test_a_shard_key_names_its_index_and_count():
    assert shard_keys(2) == ["shard-0-of-2", "shard-1-of-2"]
    assert shard_of("shard-1-of-2") == (1, 2)
    for bad in ("shard-2-of-2", "shard-x-of-2", "1"):
        with pytest.raises(ValueError, match="shard"):
            shard_of(bad)
    assert dataset_and_shard(batch_key("weekly", "shard-1-of-2")) == ("weekly", 1, 2)
    assert dataset_and_shard("weekly|shard-1-of-2") == ("weekly", 1, 2)
    with pytest.raises(ValueError, match="dataset x shard"):
        dataset_and_shard("shard-1-of-2")


def _rollout(instance: dg.DagsterInstance, dataset: str, tmp_path: Path) -> None:
    """A stored materialization of `model_deployment`'s `dataset` partition."""

    @dg.asset(
        name="model_deployment",
        partitions_def=dg.DynamicPartitionsDefinition(name=DATASET_PARTITIONS),
    )
    def rolled_out():
        return None

    result = dg.materialize(
        [rolled_out], instance=instance, partition_key=dataset,
        resources={"io_manager": dg.FilesystemIOManager(base_dir=str(tmp_path / "io"))},
    )  # fmt: skip
    assert result.success


def test_sensor_asks_for_the_shards_of_each_dataset_rolled_out_since_its_last_tick(
    pipeline_settings, tmp_path
):
    settings = pipeline_settings.model_copy(update={"batch_forecast_shards": 2})
    definitions = build_definitions(settings)
    sensor = definitions.get_sensor_def("batch_forecasts_after_rollout")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING  # on by default
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        datasets.ensure_default_dataset(session)
        datasets.create_dataset(session, DatasetConfig(name="weekly"))
        datasets.create_dataset(
            session, DatasetConfig(name="quiet", batch_forecasts_after_rollout=False)
        )
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(DATASET_PARTITIONS, ["default", "weekly", "quiet"])
    _rollout(instance, "default", tmp_path)  # before the sensor's first tick

    def tick(cursor):
        # the daemon evaluates a tick with the instance's dynamic partitions at hand
        with (
            dg.partition_loading_context(dynamic_partitions_store=instance),
            dg.build_sensor_context(
                instance=instance,
                cursor=cursor,
                definitions=definitions,
                resources={"database": OperationalDatabase(url=settings.database_url)},
            ) as context,
        ):
            result = sensor.evaluate_tick(context)
        return result

    first = tick(None)  # starts after what was rolled out before it ran
    assert first.run_requests == [] and first.cursor
    assert rollouts_after(instance, first.cursor)[0] == []
    for dataset in ("weekly", "quiet", "default"):  # three roll-outs between two ticks
        _rollout(instance, dataset, tmp_path)
    second = tick(first.cursor)
    asked = [(r.partition_key, r.tags["quantis/dataset"]) for r in second.run_requests]
    assert asked == [
        (batch_key("weekly", "shard-0-of-2"), "weekly"),
        (batch_key("weekly", "shard-1-of-2"), "weekly"),
        (batch_key("default", "shard-0-of-2"), "default"),
        (batch_key("default", "shard-1-of-2"), "default"),
    ]  # `quiet` turned batch forecasts after roll-out off
    third = tick(second.cursor)
    assert third.run_requests == [] and "no new roll-out" in third.skip_message


def test_schedule_asks_for_every_shard_of_every_dataset_and_is_off_by_default(pipeline_settings):
    settings = pipeline_settings.model_copy(update={"batch_forecast_shards": 3})
    definitions = build_definitions(settings)
    schedule = definitions.get_schedule_def("batch_forecasts_nightly")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    # a schedule's context reaches its instance by reference: a persistent one, as the daemon's
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(DATASET_PARTITIONS, ["default", "weekly"])
        with dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=pd.Timestamp("2026-12-01"),
            repository_def=definitions.get_repository_def(),
        ) as ctx:
            requests = schedule.evaluate_tick(ctx).run_requests
        job = definitions.resolve_job_def("batch_forecast_job")
        keys = job.partitions_def.get_partition_keys(dynamic_partitions_store=instance)
    assert [r.partition_key for r in requests] == [
        *batch_keys("default", 3),
        *batch_keys("weekly", 3),
    ]
    assert set(keys) == set(batch_keys("default", 3) + batch_keys("weekly", 3))
    # the pipeline job leaves the partitioned asset to its own job
    pipeline = definitions.resolve_job_def("quantis_pipeline")
    assert "batch_forecasts" not in {
        k.to_user_string() for k in pipeline.asset_layer.selected_asset_keys
    }


def _forecast_one_shard(database: str, model) -> assets.ShardOutcome:
    """`forecast_shard` over every series of the test database, as a single shard."""
    with session_scope(make_engine(database)) as session:
        return assets.forecast_shard(
            session,
            model,
            shard=0,
            shards=1,
            plan=ShardPlan.for_dataset(session, "default", BatchForecastPolicy()),
            model_name="quantis-forecaster",
            model_version=MODEL_VERSION,
            request_id="batch:test",
        )


def test_the_shard_holds_its_history_once_while_it_predicts(database, tiny_model_dir, monkeypatch):
    """The frame read and the one without the short series are let go once the model has
    validated the history: during the predict only the validated history is alive."""
    frames: list[weakref.ref] = []
    read, forecastable = assets.read_recent_panel, assets._forecastable

    def kept_read(*args, **kwargs):
        panel = read(*args, **kwargs)
        frames.append(weakref.ref(panel))
        return panel

    def kept_forecastable(model, panel):
        usable, skipped = forecastable(model, panel)
        frames.append(weakref.ref(usable))
        return usable, skipped

    model, _ = load_model_dir(tiny_model_dir)
    predict_validated = model.predict_validated
    alive_at_predict: list[int] = []

    def checked_predict(h, history, levels=None):
        gc.collect()
        alive_at_predict.append(sum(frame() is not None for frame in frames))
        return predict_validated(h, history, levels)

    monkeypatch.setattr(assets, "read_recent_panel", kept_read)
    monkeypatch.setattr(assets, "_forecastable", kept_forecastable)
    monkeypatch.setattr(model, "predict_validated", checked_predict)
    outcome = _forecast_one_shard(database, model)
    assert outcome.written == 7 and set(outcome.skipped) == {"too-short", "no-observations"}
    assert len(frames) == 2 and frames[0]() is None  # the read, and the copy without too-short
    assert alive_at_predict == [0]


def test_the_shard_forecasts_from_the_arrays_it_read(database, tiny_model_dir, monkeypatch):
    """The model validates the shard's history without copying it (read in order, already of
    its types): the history it predicts from holds the very `y` array the shard handed over.
    (That array is alive all along, held by the history, so its address cannot be reused.)"""
    handed: list[int] = []
    forecastable = assets._forecastable

    def kept_forecastable(model, panel):
        usable, skipped = forecastable(model, panel)
        handed.append(usable["y"].to_numpy().__array_interface__["data"][0])
        return usable, skipped

    model, _ = load_model_dir(tiny_model_dir)
    predict_validated = model.predict_validated
    predicted_from: list[int] = []

    def checked_predict(h, history, levels=None):
        predicted_from.append(history["y"].to_numpy().__array_interface__["data"][0])
        return predict_validated(h, history, levels)

    monkeypatch.setattr(assets, "_forecastable", kept_forecastable)
    monkeypatch.setattr(model, "predict_validated", checked_predict)
    outcome = _forecast_one_shard(database, model)
    assert outcome.written == 7
    assert predicted_from == handed


def test_a_shard_whose_series_are_all_long_enough_is_not_copied_to_drop_none(tiny_model_dir):
    model, _ = load_model_dir(tiny_model_dir)
    panel = tiny_panel(n_series=3, length=60)
    usable, skipped = assets._forecastable(model, panel)
    assert usable is panel and skipped == {}
    short = pd.concat([panel, tiny_panel(n_series=1, length=1, seed=3).assign(unique_id="one")])
    usable, skipped = assets._forecastable(model, short)
    assert set(usable["unique_id"]) == set(panel["unique_id"]) and list(skipped) == ["one"]
