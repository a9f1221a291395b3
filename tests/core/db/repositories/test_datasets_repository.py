"""Datasets repository on both backends: create, update what is safe, apply, delete exactly
one dataset's data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from core.datasets import DatasetChangeRefused, DatasetConfig
from core.db.errors import DuplicateRecordError, InvalidStateError, RecordNotFoundError
from core.db.repositories import datasets, observations, series
from core.db.repositories.forecasts import save_forecast
from core.db.repositories.quarantine import RejectedRow, quarantine_rows
from core.db.tables import (
    Dataset,
    Forecast,
    LiveAccuracy,
    Observation,
    QuarantinedRow,
    Series,
    SeriesDrift,
)

JAN = datetime(2024, 1, 1, tzinfo=UTC)


def test_a_migrated_database_has_the_default_dataset(session):
    default = datasets.find_dataset(session, "default")
    assert datasets.default_dataset_id(session) == default.id
    assert [d.name for d in datasets.list_datasets(session)] == ["default"]


def test_create_get_list_and_duplicate(session):
    created = datasets.create_dataset(session, DatasetConfig(name="traffic", frequency="W"))
    session.commit()
    found = datasets.find_dataset(session, "traffic")
    assert found.id == created.id and found.frequency == "W-SUN"
    assert datasets.dataset_config(found).effective_horizon == 13
    assert [d.name for d in datasets.list_datasets(session)] == ["default", "traffic"]
    with pytest.raises(DuplicateRecordError, match="traffic"):
        datasets.create_dataset(session, DatasetConfig(name="traffic"))
    with pytest.raises(RecordNotFoundError, match="known: \\['default', 'traffic'\\]"):
        datasets.find_dataset(session, "absent")


def test_update_changes_safe_fields_and_refuses_the_rest(session):
    datasets.create_dataset(session, DatasetConfig(name="traffic", frequency="W"))
    updated = datasets.update_dataset(session, "traffic", {"horizon": 4, "levels": [90]})
    session.commit()
    config = datasets.dataset_config(datasets.find_dataset(session, "traffic"))
    assert (config.horizon, config.levels) == (4, (90.0,))
    assert updated.updated_at >= updated.created_at
    with pytest.raises(DatasetChangeRefused) as refused:
        datasets.update_dataset(session, "traffic", {"frequency": "D", "name": "web"})
    assert set(refused.value.refused) == {"frequency", "name"}
    with pytest.raises(ValidationError, match="horizon"):
        datasets.update_dataset(session, "traffic", {"horizon": 0})
    session.rollback()
    kept = datasets.dataset_config(datasets.find_dataset(session, "traffic"))
    assert (kept.frequency, kept.horizon) == ("W-SUN", 4)


def test_a_frequency_left_unset_is_fixed_once(session):
    datasets.create_dataset(session, DatasetConfig(name="later"))
    datasets.update_dataset(session, "later", {"frequency": "MS"})
    with pytest.raises(DatasetChangeRefused, match="fixed at 'MS'"):
        datasets.update_dataset(session, "later", {"frequency": "D"})


def test_inferring_a_series_frequency_fixes_the_datasets(session):
    later = datasets.create_dataset(session, DatasetConfig(name="later"))
    series.create_series(session, "a", dataset_id=later.id)
    series.record_inferred_frequency(session, ["a"], "QS-OCT", dataset_id=later.id)
    assert datasets.find_dataset(session, "later").frequency == "QS-OCT"
    assert not datasets.record_dataset_frequency(session, later.id, "D")
    assert datasets.find_dataset(session, "later").frequency == "QS-OCT"
    unusual = datasets.create_dataset(session, DatasetConfig(name="unusual"))
    series.create_series(session, "b", dataset_id=unusual.id)
    assert series.record_inferred_frequency(session, ["b"], "WOM-1MON", unusual.id) == 1
    assert datasets.find_dataset(session, "unusual").frequency is None


def test_apply_creates_updates_or_leaves_alone(session):
    declared = DatasetConfig(name="revenue", frequency="MS", horizon=6)
    assert datasets.apply_dataset(session, declared) == "created"
    assert datasets.apply_dataset(session, declared) == "unchanged"
    assert datasets.apply_dataset(session, declared.model_copy(update={"horizon": 12})) == "updated"
    # a declaration without a frequency keeps the one the dataset has
    unset = DatasetConfig(name="revenue", horizon=12)
    assert datasets.apply_dataset(session, unset) == "unchanged"
    with pytest.raises(DatasetChangeRefused, match="frequency"):
        datasets.apply_dataset(session, DatasetConfig(name="revenue", frequency="D"))


def test_series_names_are_unique_per_dataset(session):
    other = datasets.create_dataset(session, DatasetConfig(name="other"))
    in_default = series.create_series(session, "store-1")
    in_other = series.create_series(session, "store-1", dataset_id=other.id)
    assert in_default.id != in_other.id
    assert series.get_series_by_name(session, "store-1").id == in_default.id
    assert series.get_series_by_name(session, "store-1", other.id).id == in_other.id
    assert series.series_ids_by_name(session, ["store-1"]) == {"store-1": in_default.id}
    assert series.existing_series_ids(session, ["store-1"], other.id) == {"store-1": in_other.id}
    assert [s.id for s in series.list_series(session, dataset_id=other.id).items] == [in_other.id]
    assert series.list_series(session).total == 1
    with pytest.raises(DuplicateRecordError):
        series.create_series(session, "store-1", dataset_id=other.id)


def _fill(session, dataset_id: int | None, name: str) -> None:
    """A series with observations, a forecast, accuracy and drift rows, a quarantined row."""
    one = series.create_series(session, name, dataset_id=dataset_id)
    observations.upsert_observations(
        session, [(one.id, JAN, 1.0), (one.id, JAN.replace(day=2), 2.0)]
    )
    point = {"ds": JAN.replace(day=3), "yhat": 3.0}
    save_forecast(
        session, request_id="r", series_id=one.id, model_name="m", model_version="1",
        horizon=1, levels=[], points=[point],
    )  # fmt: skip
    session.add(
        LiveAccuracy(
            partition_day=date(2024, 1, 3),
            model_name="m",
            model_version="1",
            series_id=one.id,
            points=1,
            smape=0.0,
            bias=0.0,
            mae=0.0,
        )
    )
    session.add(
        SeriesDrift(
            partition_day=date(2024, 1, 3),
            series_id=one.id,
            observations=2,
            drifted=False,
            periods_since_last=0,
            stale=False,
        )
    )
    dataset = dataset_id or datasets.default_dataset_id(session)
    row = RejectedRow(source="f.csv", reason="bad", series_name=name, dataset_id=dataset)
    quarantine_rows(session, [row])


def _counts(session) -> dict[str, int]:
    tables = [Series, Observation, Forecast, LiveAccuracy, SeriesDrift, QuarantinedRow]
    return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in tables}


def test_delete_removes_exactly_that_datasets_data(session):
    doomed = datasets.create_dataset(session, DatasetConfig(name="doomed"))
    kept = datasets.create_dataset(session, DatasetConfig(name="kept"))
    _fill(session, doomed.id, "shared-name")
    _fill(session, kept.id, "shared-name")
    _fill(session, None, "shared-name")
    session.commit()
    before = _counts(session)
    contents = datasets.delete_dataset(session, "doomed")
    session.commit()
    assert contents == datasets.DatasetContents(
        series=1, observations=2, forecasts=1, quarantined_rows=1
    )
    after = _counts(session)
    assert {name: before[name] - after[name] for name in before} == {
        "series": 1, "observations": 2, "forecasts": 1, "live_accuracy": 1, "series_drift": 1,
        "quarantine": 1,
    }  # fmt: skip
    assert datasets.get_dataset(session, "doomed") is None
    kept_series = series.get_series_by_name(session, "shared-name", kept.id)
    assert observations.count_observations(session, kept_series.id) == 2
    assert series.get_series_by_name(session, "shared-name") is not None
    assert session.scalar(select(func.count()).select_from(Dataset)) == 2


def test_the_default_dataset_cannot_be_deleted(session):
    with pytest.raises(InvalidStateError, match="cannot be deleted"):
        datasets.delete_dataset(session, "default")
    with pytest.raises(RecordNotFoundError):
        datasets.delete_dataset(session, "absent")
