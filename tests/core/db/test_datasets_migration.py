"""Migration 0006 on a populated database: every series lands in a `default` dataset that takes
the settings handed over, nothing is lost, and a fresh install gets the dataset too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, func, select

from core.datasets import DatasetConfig, default_dataset_config
from core.db import migrate
from core.db.engine import make_engine
from core.settings import load_settings

KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
BEFORE = "0005_forecast_target_dates"
TABLES = ("series", "observations", "forecasts", "quarantine", "live_accuracy", "series_drift")
START = datetime(2020, 1, 1, tzinfo=UTC)


def _populate(url: str, frequencies: list[str | None]) -> None:
    """Series with observations, a forecast each and quarantined rows, at revision 0005."""
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        t = metadata.tables
        with engine.begin() as connection:
            for index, frequency in enumerate(frequencies):
                series_id = connection.execute(
                    t["series"].insert().returning(t["series"].c.id),
                    {
                        "name": f"s{index}",
                        "frequency": frequency,
                        "metadata": {},
                        "created_at": START,
                    },
                ).scalar_one()
                rows = [
                    {"series_id": series_id, "ts": START + timedelta(days=90 * k), "value": k,
                     "updated_at": START}
                    for k in range(12)
                ]  # fmt: skip
                connection.execute(t["observations"].insert(), rows)
                connection.execute(
                    t["forecasts"].insert(),
                    {"request_id": "r", "series_id": series_id, "model_name": "m",
                     "model_version": "1", "horizon": 1, "levels": [], "created_at": START,
                     "payload": [{"ds": "2023-01-01", "yhat": 1.0}], "kind": "batch"},
                )  # fmt: skip
            connection.execute(
                t["quarantine"].insert(),
                [{"source": "f.csv", "reason": "bad", "created_at": START}] * 3,
            )
    finally:
        engine.dispose()


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine, only=list(TABLES))
        with engine.connect() as connection:
            return {
                name: connection.scalar(select(func.count()).select_from(metadata.tables[name]))
                for name in TABLES
            }
    finally:
        engine.dispose()


def _datasets(url: str) -> list[dict]:
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine, only=["datasets", "series", "quarantine"])
        t = metadata.tables
        with engine.connect() as connection:
            found = [dict(row._mapping) for row in connection.execute(select(t["datasets"]))]
            for dataset in found:
                dataset["series"] = connection.scalar(
                    select(func.count()).where(t["series"].c.dataset_id == dataset["id"])
                )
                dataset["quarantined"] = connection.scalar(
                    select(func.count()).where(t["quarantine"].c.dataset_id == dataset["id"])
                )
            return found
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", KINDS)
def test_a_populated_database_keeps_everything_in_the_default_dataset(fresh_db_url, kind):
    url = fresh_db_url(kind)
    migrate.upgrade(url, BEFORE)
    _populate(url, ["QS-OCT", "QS-OCT", "QS-OCT"])
    before = _counts(url)
    settings = load_settings(forecast_default_horizon=8, max_bad_row_share=0.2)
    migrate.upgrade(url, default_dataset=default_dataset_config(settings))
    assert migrate.current(url) == migrate.head()
    assert _counts(url) == before
    (default,) = _datasets(url)
    assert (default["name"], default["series"], default["quarantined"]) == ("default", 3, 3)
    # the frequency every series had is the dataset's; the rest came from the settings
    config = DatasetConfig.from_stored("default", default["frequency"], default["config"])
    assert config.frequency == "QS-OCT"
    assert (config.horizon, config.max_bad_row_share) == (8, 0.2)


@pytest.mark.parametrize("kind", KINDS)
def test_series_of_mixed_frequencies_leave_the_default_dataset_unfixed(fresh_db_url, kind):
    url = fresh_db_url(kind)
    migrate.upgrade(url, BEFORE)
    _populate(url, ["QS-OCT", None])
    migrate.upgrade(url)
    (default,) = _datasets(url)
    assert default["frequency"] is None and default["series"] == 2
    assert DatasetConfig.from_stored("default", None, default["config"]).horizon == 14


def test_a_fresh_install_has_the_default_dataset(fresh_db_url):
    url = fresh_db_url("sqlite")
    migrate.upgrade(url)
    (default,) = _datasets(url)
    assert (default["name"], default["frequency"], default["series"]) == ("default", None, 0)


def test_downgrade_keeps_the_data_of_the_default_dataset_and_refuses_other_datasets(fresh_db_url):
    url = fresh_db_url("sqlite")
    migrate.upgrade(url, BEFORE)
    _populate(url, ["QS-OCT", "QS-OCT"])
    before = _counts(url)
    migrate.upgrade(url)
    migrate.downgrade(url, BEFORE)
    assert _counts(url) == before
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine, only=["datasets"])
        with engine.begin() as connection:
            connection.execute(
                metadata.tables["datasets"].insert(),
                {"name": "other", "config": {}, "created_at": START, "updated_at": START},
            )
    finally:
        engine.dispose()
    with pytest.raises(RuntimeError, match="other"):
        migrate.downgrade(url, BEFORE)
    assert migrate.current(url) == "0006_datasets"  # the later revisions went down; 0006 stays
