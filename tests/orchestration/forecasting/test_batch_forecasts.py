"""batch_forecasts: every series of a shard forecast by the rolled-out model, stored in bulk."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from sqlalchemy import select

from core.db.engine import make_engine, session_scope
from core.db.repositories import forecasts, observations, series
from core.db.tables import Forecast
from models.artifact import load_model_dir
from orchestration.contracts import Rollout
from orchestration.definitions import build_definitions
from orchestration.defs.forecasting import assets
from orchestration.defs.forecasting.assets import BatchForecastPolicy, make_batch_forecasts
from orchestration.defs.forecasting.sharding import shard_keys, shard_of
from orchestration.resources import MLflowTracking, OperationalDatabase, StepScratch
from tests.bentos.served_model import MODEL_VERSION, tiny_panel

HORIZON = 5


class _RegisteredModel(MLflowTracking):
    """The registry stand-in: every version is the tiny model directory."""

    model_dir: str

    def model_version_dir(self, version: str, scratch: Path) -> Path:
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
    panel = tiny_panel(n_series=7, length=60)
    short = tiny_panel(n_series=1, length=3, seed=9).assign(unique_id="too-short")
    with session_scope(make_engine(db_url)) as session:
        observations.upsert_panel(session, pd.concat([panel, short]))
        series.create_series(session, "no-observations")
    return db_url


def _materialize(db_url: str, model_dir: Path, tmp_path: Path, shards: int, key: str):
    return dg.materialize(
        [make_batch_forecasts(shards), dg.SourceAsset("model_deployment")],
        partition_key=key,
        resources={
            "database": OperationalDatabase(url=db_url),
            "mlflow_tracking": _RegisteredModel(
                tracking_uri="sqlite:///unused.db",
                artifact_root=str(tmp_path),
                model_name="quantis-forecaster",
                model_dir=str(model_dir),
            ),
            "batch_policy": BatchForecastPolicy(horizon=HORIZON, write_batch=2),
            "scratch": StepScratch(root=str(tmp_path / "steps")),
            "io_manager": _RolledOut(),
        },
    )


def test_every_series_of_every_shard_gets_one_stored_forecast(database, tiny_model_dir, tmp_path):
    shards = 3
    for key in shard_keys(shards):
        result = _materialize(database, tiny_model_dir, tmp_path, shards, key)
        assert result.success
    with session_scope(make_engine(database)) as session:
        stored = session.scalars(select(Forecast)).all()
        by_name = {s.id: s.name for s in series.list_series(session, limit=100).items}
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
    key = shard_keys(1)[0]
    assert _materialize(database, tiny_model_dir, tmp_path, 1, key).success
    model, _ = load_model_dir(tiny_model_dir)
    with session_scope(make_engine(database)) as session:
        store = series.get_series_by_name(session, "s00002")
        latest = forecasts.latest_forecast(session, store.id, kind="batch")
        history = observations.read_recent_panel(session, 730, ["s00002"])
    expected = model.predict(HORIZON, levels=[80, 95], history=history)
    assert [p["yhat"] for p in latest.payload] == pytest.approx(expected["yhat"].tolist())
    assert [p["hi"]["95"] for p in latest.payload] == pytest.approx(expected["yhat_hi_95"].tolist())


def test_a_shard_key_names_its_index_and_count():
    assert shard_keys(2) == ["shard-0-of-2", "shard-1-of-2"]
    assert shard_of("shard-1-of-2") == (1, 2)
    for bad in ("shard-2-of-2", "shard-x-of-2", "1"):
        with pytest.raises(ValueError, match="shard"):
            shard_of(bad)


def test_sensor_and_schedule_ask_for_every_shard_and_are_off_by_default(pipeline_settings):
    settings = pipeline_settings.model_copy(update={"batch_forecast_shards": 3})
    definitions = build_definitions(settings)
    sensor = definitions.get_sensor_def("batch_forecasts_after_rollout")
    schedule = definitions.get_schedule_def("batch_forecasts_nightly")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    with dg.build_schedule_context(
        scheduled_execution_time=pd.Timestamp("2026-12-01"),
        repository_def=definitions.get_repository_def(),
    ) as ctx:
        requests = schedule.evaluate_tick(ctx).run_requests
    assert [r.partition_key for r in requests] == shard_keys(3)
    job = definitions.resolve_job_def("batch_forecast_job")
    assert job.partitions_def.get_partition_keys() == shard_keys(3)
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
            policy=BatchForecastPolicy(horizon=HORIZON),
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
