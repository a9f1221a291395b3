"""The monitoring assets on a seeded database and registry whose answers are known by hand;
partitioned by dataset x day, one dataset's scoring and drift leave another's alone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pandas as pd
import pytest
from served_model import register_champion

from core.datasets import DatasetConfig
from core.datasets.partitions import DATASET_PARTITIONS
from core.db.engine import make_engine, session_scope
from core.db.repositories import datasets, drift, live_accuracy
from core.db.repositories.forecasts import save_forecast
from core.db.repositories.observations import upsert_panel
from core.db.repositories.series import get_series_by_name
from core.settings import load_settings
from orchestration.definitions import build_definitions
from orchestration.defs.monitoring.assets import monitoring_key

DAY0 = datetime(2026, 1, 1, tzinfo=UTC)
BACKTEST_MASE = 0.8


def _days(n: int, start: datetime = DAY0) -> list[datetime]:
    return [start + timedelta(days=i) for i in range(n)]


def _seed_database(settings) -> None:
    # "a": 1..6, then actuals 7 and 12 on days 7 and 8. Six points are less than a season
    # (7 days), so the scale falls back to the naive lag-1 error, 1, as in the backtest.
    rows = [("a", ts, float(v)) for ts, v in zip(_days(8), [1, 2, 3, 4, 5, 6, 7, 12], strict=True)]
    rows += [("old", ts, 5.0) for ts in _days(2)]  # nothing after day 2: stale on day 8
    # "jump": 28 days alternating 10/12, then a week at 40: a level shift, drifted.
    jump = [10.0 + 2 * (i % 2) for i in range(28)] + [40.0 + (i % 2) for i in range(7)]
    rows += [
        ("jump", ts, v) for ts, v in zip(_days(35, DAY0 - timedelta(days=27)), jump, strict=True)
    ]
    panel = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        upsert_panel(session, panel)  # no frequency recorded, as ingestion leaves it: inferred
        a = get_series_by_name(session, "a")
        save_forecast(
            session, request_id="r1", series_id=a.id, model_name=settings.registered_model_name,
            model_version="1", horizon=3, levels=[80],
            points=[
                {"ds": DAY0 + timedelta(days=6), "yhat": 6.0, "lo": {80: 5.0}, "hi": {80: 8.0}},
                {"ds": DAY0 + timedelta(days=7), "yhat": 10.0, "lo": {80: 9.0}, "hi": {80: 11.0}},
                {"ds": DAY0 + timedelta(days=8), "yhat": 13.0, "lo": {80: 9.0}, "hi": {80: 19.0}},
            ],
        )  # fmt: skip
    engine.dispose()


@pytest.fixture
def seeded(pipeline_settings, tmp_path):
    _seed_database(pipeline_settings)
    registry = register_champion(
        pipeline_settings.mlflow_tracking_uri,
        pipeline_settings.registered_model_name,
        tmp_path / "artifacts",
        BACKTEST_MASE,
    )
    return pipeline_settings, registry


def _instance(*names: str) -> dg.DagsterInstance:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(DATASET_PARTITIONS, list(names or ["default"]))
    return instance


def _materialize(defs, instance, day: str, dataset: str = "default"):
    job = defs.resolve_job_def("monitoring")
    key = monitoring_key(dataset, day)
    result = job.execute_in_process(instance=instance, partition_key=key, raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result


def _checks(result) -> dict[str, bool]:
    return {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_live_accuracy_checks_and_mlflow_metrics_by_hand(seeded):
    settings, registry = seeded
    defs, instance = build_definitions(settings), _instance()
    day7 = _materialize(defs, instance, "2026-01-07")
    # Day 7: |7 - 6| / 1 = 1.0 <= 1.5 x 0.8; 7 inside [5, 8]: coverage 1.0, 0.2 from 0.8.
    assert _checks(day7) == {
        "live_mase_within_backtest": True,
        "interval_coverage_near_nominal": False,
    }
    day8 = _materialize(defs, instance, "2026-01-08")
    # Day 8: |12 - 10| / 1 = 2.0 > 1.2; 12 outside [9, 11]: coverage 0.0.
    assert _checks(day8) == {
        "live_mase_within_backtest": False,
        "interval_coverage_near_nominal": False,
    }
    _materialize(defs, instance, "2026-01-08")  # a second run replaces, never adds

    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        rows = live_accuracy.accuracy_rows(session, model_version="1")
        assert [(r.partition_day, r.points, r.mase, r.bias, r.coverage) for r, _ in rows] == [
            (date(2026, 1, 7), 1, pytest.approx(1.0), pytest.approx(-1.0), {"80": 1.0}),
            (date(2026, 1, 8), 1, pytest.approx(2.0), pytest.approx(-2.0), {"80": 0.0}),
        ]
    engine.dispose()
    run_id = registry.version("1").run_id
    history = registry.client.get_metric_history(run_id, "live_mase")
    assert [(m.step, m.value) for m in history] == [
        (date(2026, 1, 7).toordinal(), pytest.approx(1.0)),
        (date(2026, 1, 8).toordinal(), pytest.approx(2.0)),
    ]  # the re-run logged the same (step, timestamp, value): MLflow keeps one


def test_drift_and_stale_series(seeded):
    settings, _ = seeded
    defs, instance = build_definitions(settings), _instance()
    _materialize(defs, instance, "2026-01-08")
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        found = {name: row for row, name in drift.latest_drift(session)}
    engine.dispose()
    # jump: reference 14 x 10 and 14 x 12 (mean 11, std ~1.02), recent mean ~40.4: drifted.
    assert found["jump"].drifted and found["jump"].level_shift > 20
    assert found["old"].stale and found["old"].periods_since_last == 6
    assert not found["a"].stale and found["a"].level_shift is None  # 8 points < 7 + 2


def _sensor_result(instance, days: int):
    defs = build_definitions(load_settings(retrain_degraded_days=days))
    sensor = defs.get_sensor_def("retrain_on_degraded_accuracy")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    with dg.build_sensor_context(instance=instance, resources=defs.resources) as context:
        return sensor(context)


def test_sensor_asks_for_a_retrain_of_the_degraded_dataset_alone(seeded):
    settings, _ = seeded
    with session_scope(make_engine(settings.database_url)) as session:
        datasets.create_dataset(session, DatasetConfig(name="calm"))  # no champion: not asked
    defs, instance = build_definitions(settings), _instance("default", "calm")
    for day in ("2026-01-07", "2026-01-08"):
        _materialize(defs, instance, day)
    [one_day] = _sensor_result(instance, 1)
    assert one_day.run_key == "degraded:default:1:2026-01-08"
    assert one_day.partition_key == "default" and one_day.tags["quantis/dataset"] == "default"
    assert one_day.tags["quantis/live_mase"] == "2.0000"
    two_days = _sensor_result(instance, 2)  # day 7 was within bounds
    assert isinstance(two_days, dg.SkipReason) and "calm: no champion" in two_days.skip_message


def test_one_datasets_day_leaves_anothers_alone(seeded):
    """`other` has a series named like default's `a`, with forecasts of its own registered
    model: scoring and drift of (other, day 8) neither read nor replace default's rows."""
    settings, _ = seeded
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        other = datasets.create_dataset(session, DatasetConfig(name="other"))
        panel = pd.DataFrame({"unique_id": "a", "ds": _days(8), "y": [*range(100, 107), 110.0]})
        upsert_panel(session, panel, dataset_id=other.id)
        theirs = get_series_by_name(session, "a", dataset_id=other.id).id
        save_forecast(
            session, request_id="o1", series_id=theirs,
            model_name=f"{settings.registered_model_name}-other", model_version="3",
            horizon=1, levels=[80],
            points=[{"ds": DAY0 + timedelta(days=7), "yhat": 107.0, "lo": {80: 99.0},
                     "hi": {80: 103.0}}],
        )  # fmt: skip
    defs, instance = build_definitions(settings), _instance("default", "other")
    _materialize(defs, instance, "2026-01-08")
    _materialize(defs, instance, "2026-01-08", dataset="other")
    with session_scope(engine) as session:
        scored = {
            (row.model_name, row.model_version): row.mase
            for row, _ in live_accuracy.accuracy_rows(session)
        }
        drifted = [row.series_id for row, _ in drift.latest_drift(session)]
    engine.dispose()
    assert scored == {
        (settings.registered_model_name, "1"): pytest.approx(2.0),  # default's, unchanged
        (f"{settings.registered_model_name}-other", "3"): pytest.approx(3.0),  # |110-107| / 1
    }
    assert theirs in drifted and len(drifted) == 4  # default's three and other's `a`


def test_both_retrain_sensors_start_off_and_the_pipeline_leaves_monitoring_out():
    defs = build_definitions(load_settings())
    for name in ("retrain_on_new_data", "retrain_on_degraded_accuracy"):
        assert defs.get_sensor_def(name).default_status == dg.DefaultSensorStatus.STOPPED
    assert defs.get_schedule_def("monitoring_daily").default_status == (
        dg.DefaultScheduleStatus.STOPPED
    )
    pipeline = defs.resolve_job_def("quantis_pipeline")
    assert "live_accuracy" not in {
        k.to_user_string() for k in pipeline.asset_layer.executable_asset_keys
    }
