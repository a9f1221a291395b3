"""Migrations run up and down on both backends and match the models exactly."""

from __future__ import annotations

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from core.db import migrate
from core.db.engine import make_engine
from core.db.tables import Base

KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", KINDS)
def test_upgrade_then_downgrade_round_trips(fresh_db_url, kind):
    url = fresh_db_url(kind)
    assert migrate.current(url) is None
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert set(Base.metadata.tables) <= _tables(url)
    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
    assert _tables(url) == {"alembic_version"}
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()


@pytest.mark.parametrize("kind", KINDS)
def test_migrated_schema_matches_the_models(fresh_db_url, kind):
    url = fresh_db_url(kind)
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_upgrade_is_idempotent(fresh_db_url):
    url = fresh_db_url("sqlite")
    migrate.upgrade(url)
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()


def test_password_with_percent_sign_survives_the_alembic_config():
    config = migrate.alembic_config("postgresql://user:p%25ss@host/db")
    assert config.attributes["url"].password == "p%ss"
    assert config.attributes["url"].drivername == "postgresql+psycopg"


@pytest.mark.parametrize("kind", KINDS)
def test_forecast_targets_are_backfilled_from_stored_payloads(fresh_db_url, kind, monkeypatch):
    """0005 copies the points of the forecasts stored before it into `forecast_targets`,
    in batches (two forecasts a batch here), dates in UTC whatever offset they were written
    with (naive ones are UTC), so monitoring finds them by their target."""
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import select, text

    from core.db.repositories.live_accuracy import forecast_points
    from core.db.tables import ForecastTarget

    backfill = migrate.script_directory().get_revision("0005_forecast_target_dates").module
    monkeypatch.setattr(backfill, "_BACKFILL_FORECASTS", 2)
    url = fresh_db_url(kind)
    migrate.upgrade(url, "0004_batch_forecasts")
    plus_two = timezone(timedelta(hours=2))
    payloads = {
        "aware": [
            {"ds": datetime(2026, 3, 1, 2, tzinfo=plus_two).isoformat(), "yhat": 1.0,
             "lo": {"80": 0.5}, "hi": {"80": 1.5}},
            {"ds": datetime(2026, 3, 2, 2, tzinfo=plus_two).isoformat(), "yhat": 2.0,
             "lo": {"80": 1.5}, "hi": {"80": 2.5}},
        ],
        "naive": [{"ds": "2026-03-02T00:00:00", "yhat": 3.0, "lo": {}, "hi": {}}],
        "empty": [],
    }  # fmt: skip
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO series (id, name, metadata, created_at) "
                                    "VALUES (1, 's', '{}', '2026-01-01')"))  # fmt: skip
            for number, (request, payload) in enumerate(payloads.items(), start=1):
                connection.execute(
                    text(
                        "INSERT INTO forecasts (id, request_id, series_id, model_name, "
                        "model_version, horizon, levels, created_at, payload, kind) VALUES "
                        "(:id, :request, 1, 'm', '1', 1, '[80]', :created, :payload, 'request')"
                    ),
                    {"id": number, "request": request, "payload": json.dumps(payload),
                     "created": f"2026-03-0{number} 00:00:00"},
                )  # fmt: skip
        migrate.upgrade(url)
        with Session(engine) as session:
            stored = session.execute(
                select(ForecastTarget.forecast_id, ForecastTarget.step, ForecastTarget.ds,
                       ForecastTarget.origin, ForecastTarget.yhat, ForecastTarget.lo)
                .order_by(ForecastTarget.forecast_id, ForecastTarget.step)
            ).tuples().all()  # fmt: skip
            day = datetime(2026, 3, 2, tzinfo=UTC)
            points = forecast_points(session, start=day, before=day + timedelta(days=1))
    finally:
        engine.dispose()
    first = datetime(2026, 3, 1, tzinfo=UTC)
    assert stored == [
        (1, 0, first, first, 1.0, {"80": 0.5}),
        (1, 1, day, first, 2.0, {"80": 1.5}),
        (2, 0, day, day, 3.0, {}),
    ]
    assert [(p.forecast_id, p.yhat) for p in points] == [(2, 3.0)]  # the newer forecast
