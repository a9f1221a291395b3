"""Live-accuracy rows and their summaries on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from core.db.repositories import forecasts, live_accuracy, series
from core.db.repositories.live_accuracy import AccuracyRow
from core.db.tables import Forecast

START = datetime(2026, 3, 1, tzinfo=UTC)
MODEL = "quantis-forecaster"


def _forecast(session, series_id: int, version: str, first: datetime, yhats: list[float]):
    return forecasts.save_forecast(
        session,
        request_id=f"req-{version}-{first:%d}",
        series_id=series_id,
        model_name=MODEL,
        model_version=version,
        horizon=len(yhats),
        levels=[80],
        points=[
            {"ds": first + timedelta(days=i), "yhat": y, "lo": {80: y - 1}, "hi": {80: y + 1}}
            for i, y in enumerate(yhats)
        ],
    )


def test_points_in_the_window_newest_forecast_wins(session):
    store = series.create_series(session, "store")
    _forecast(session, store.id, "1", START, [10.0, 11.0, 12.0])
    _forecast(session, store.id, "1", START + timedelta(days=1), [21.0, 22.0])
    _forecast(session, store.id, "2", START, [30.0, 31.0])
    session.commit()
    points = live_accuracy.forecast_points(
        session, start=START + timedelta(days=1), before=START + timedelta(days=2)
    )
    assert [(p.model_version, p.yhat, p.origin) for p in points] == [
        ("1", 21.0, START + timedelta(days=1)),
        ("2", 31.0, START),
    ]
    assert points[0].lo == {"80": 20.0} and points[0].series_name == "store"


def test_points_are_read_from_the_window_only(session):
    """A day's points come from the rows that target it: forecasts with no point in the
    window are not read (their payloads are never looked at)."""
    store = series.create_series(session, "store")
    other = series.create_series(session, "other")
    inside = _forecast(session, store.id, "1", START, [10.0, 11.0])
    _forecast(session, other.id, "1", START + timedelta(days=5), [1.0, 2.0])
    _forecast(session, store.id, "1", START - timedelta(days=3), [5.0, 6.0])  # ends before
    session.commit()
    session.execute(
        update(Forecast).where(Forecast.id != inside.id).values(payload=[{"ds": "not read"}])
    )
    points = live_accuracy.forecast_points(
        session, start=START + timedelta(days=1), before=START + timedelta(days=2), model_name=MODEL
    )
    assert [(p.series_name, p.ds, p.yhat, p.forecast_id) for p in points] == [
        ("store", START + timedelta(days=1), 11.0, inside.id)
    ]
    assert live_accuracy.forecast_points(
        session, start=START, before=START + timedelta(days=9), series_id=other.id
    )[0].origin == START + timedelta(days=5)


def test_postgres_chooses_the_newest_points_in_one_query(session):
    """On PostgreSQL the newest point per (version, series, target) is chosen in the database
    (one query, whose rows are those points only, however many forecasts target the day);
    elsewhere the window's points are read, then their forecasts, bounds and names."""
    from sqlalchemy import event

    store = series.create_series(session, "store")
    for night in range(4):  # four forecasts target START + 3 days
        _forecast(session, store.id, "1", START + timedelta(days=night), [float(night)] * 4)
    session.commit()
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        points = live_accuracy.forecast_points(
            session, start=START + timedelta(days=3), before=START + timedelta(days=4)
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [(p.yhat, p.origin) for p in points] == [(3.0, START + timedelta(days=3))]
    postgres = engine.dialect.name == "postgresql"
    assert len(statements) == (1 if postgres else 4)
    if postgres:
        assert "DISTINCT ON" in statements[0]


def _row(series_id, version="1", points=1, mase=1.0, coverage=None):
    return AccuracyRow(
        model_version=version, series_id=series_id, points=points, mase=mase,
        smape=10.0 * mase if mase else 5.0, bias=0.5, mae=2.0,
        coverage=coverage if coverage is not None else {"80": 1.0},
    )  # fmt: skip


def test_replace_day_replaces_only_that_day(session):
    a = series.create_series(session, "a")
    live_accuracy.replace_day(session, date(2026, 3, 1), MODEL, [_row(a.id, mase=1.0)])
    live_accuracy.replace_day(session, date(2026, 3, 2), MODEL, [_row(a.id, mase=2.0)])
    live_accuracy.replace_day(session, date(2026, 3, 1), MODEL, [_row(a.id, mase=3.0)])
    session.commit()
    rows = live_accuracy.accuracy_rows(session, model_version="1")
    assert [(r.partition_day.day, r.mase) for r, _ in rows] == [(1, 3.0), (2, 2.0)]


def test_summary_weights_days_by_points_then_averages_series(session):
    a = series.create_series(session, "a")
    b = series.create_series(session, "b")
    flat = series.create_series(session, "flat")
    day1, day2 = date(2026, 3, 1), date(2026, 3, 2)
    live_accuracy.replace_day(
        session, day1, MODEL,
        [_row(a.id, points=1, mase=1.0, coverage={"80": 0.0}), _row(b.id, points=2, mase=4.0),
         _row(flat.id, mase=None)],
    )  # fmt: skip
    live_accuracy.replace_day(
        session, day2, MODEL, [_row(a.id, points=3, mase=3.0, coverage={"80": 1.0})]
    )
    session.commit()
    summary = live_accuracy.version_summary(session, "1", model_name=MODEL)
    # Series a: (1*1 + 3*3) / 4 = 2.5; b: 4.0; flat has no MASE and is skipped.
    assert summary["mase"] == pytest.approx((2.5 + 4.0) / 2)
    assert summary["coverage"]["80"] == pytest.approx((0.75 + 1.0 + 1.0) / 3)
    assert (summary["series"], summary["points"], summary["days"]) == (3, 7, 2)
    daily = live_accuracy.daily_summaries(session, "1", model_name=MODEL)
    assert [(d["day"], d["mase"]) for d in daily] == [(day1, 2.5), (day2, 3.0)]
    assert live_accuracy.version_summary(session, "9") is None


def test_a_result_without_points_is_refused(session):
    a = series.create_series(session, "a")
    with pytest.raises(ValueError, match="at least one point"):
        live_accuracy.replace_day(session, date(2026, 3, 1), MODEL, [_row(a.id, points=0)])
