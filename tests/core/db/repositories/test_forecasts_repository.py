"""Forecast records round-trip on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db.repositories import forecasts, series
from core.db.tables import ForecastTarget

START = datetime(2024, 2, 1, tzinfo=UTC)


def _points(horizon: int, levels: list[int]) -> list[dict[str, object]]:
    return [
        {
            "ds": START + timedelta(days=i),
            "yhat": 10.0 + i,
            "lo": {level: 10.0 + i - level / 10 for level in levels},
            "hi": {level: 10.0 + i + level / 10 for level in levels},
        }
        for i in range(horizon)
    ]


def _save(session, series_id: int, request_id: str = "req-1", horizon: int = 3):
    return forecasts.save_forecast(
        session,
        request_id=request_id,
        series_id=series_id,
        model_name="quantis-forecaster",
        model_version="4",
        horizon=horizon,
        levels=[80, 95],
        points=_points(horizon, [80, 95]),
    )


def test_forecast_round_trips(session):
    store = series.create_series(session, "store")
    saved = _save(session, store.id)
    session.commit()
    session.expunge_all()
    loaded = forecasts.get_forecast(session, saved.id)
    assert (loaded.model_version, loaded.horizon, loaded.levels) == ("4", 3, [80, 95])
    assert loaded.payload[1] == {
        "ds": (START + timedelta(days=1)).isoformat(),
        "yhat": 11.0,
        "lo": {"80": 3.0, "95": 1.5},
        "hi": {"80": 19.0, "95": 20.5},
    }
    assert loaded.created_at.tzinfo is not None


def test_list_filters_by_series_and_request_newest_first(session):
    first = series.create_series(session, "first")
    second = series.create_series(session, "second")
    older = _save(session, first.id, "req-a")
    newer = _save(session, first.id, "req-b")
    _save(session, second.id, "req-b")
    assert [f.id for f in forecasts.list_forecasts(session, series_id=first.id).items] == [
        newer.id,
        older.id,
    ]
    assert forecasts.list_forecasts(session, request_id="req-b").total == 2


def test_point_count_must_match_horizon(session):
    store = series.create_series(session, "store")
    with pytest.raises(ValueError, match="horizon 4"):
        forecasts.save_forecast(
            session,
            request_id="r",
            series_id=store.id,
            model_name="m",
            model_version="1",
            horizon=4,
            levels=[],
            points=[{"ds": START, "yhat": 1.0}],
        )


def test_every_point_needs_every_level(session):
    store = series.create_series(session, "store")
    points = _points(2, [80])
    with pytest.raises(ValueError, match="95"):
        forecasts.save_forecast(
            session,
            request_id="r",
            series_id=store.id,
            model_name="m",
            model_version="1",
            horizon=2,
            levels=[80, 95],
            points=points,
        )


def _new(series_id: int, horizon: int = 3, **changes) -> forecasts.NewForecast:
    fields = dict(
        series_id=series_id,
        request_id="batch-1",
        model_name="quantis-forecaster",
        model_version="7",
        horizon=horizon,
        levels=[80, 95],
        points=_points(horizon, [80, 95]),
        data_cutoff=START - timedelta(days=1),
    )
    return forecasts.NewForecast(**(fields | changes))


def test_bulk_forecasts_are_all_stored_with_kind_and_cutoff(session):
    ids = [series.create_series(session, f"s{i}").id for i in range(7)]
    # a batch size below the count: several executemany batches (COPY on PostgreSQL)
    written = forecasts.save_forecasts_bulk(session, [_new(i) for i in ids], batch_size=3)
    session.commit()
    session.expunge_all()
    assert written == 7
    stored = [forecasts.latest_forecast(session, i, kind="batch") for i in ids]
    assert all(f is not None for f in stored)
    assert {f.kind for f in stored} == {"batch"}
    assert {f.data_cutoff for f in stored} == {START - timedelta(days=1)}
    assert stored[0].payload[2]["lo"] == {"80": 4.0, "95": 2.5}
    assert forecasts.latest_forecast(session, ids[0], kind="request") is None


@pytest.mark.postgres
def test_psycopg2_copy_path_stores_the_same_rows(fresh_db_url):
    from sqlalchemy import create_engine, make_url
    from sqlalchemy.orm import Session

    from core.db.migrate import upgrade

    db_url = fresh_db_url("postgresql")
    upgrade(db_url)
    url = make_url(db_url).set(drivername="postgresql+psycopg2")
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            store = series.create_series(session, "tabs\tand\\slashes")
            forecasts.save_forecasts_bulk(session, [_new(store.id), _new(store.id)], batch_size=1)
            session.commit()
            assert len(forecasts.list_forecasts(session, series_id=store.id).items) == 2
            assert forecasts.latest_forecast(session, store.id).payload[0]["yhat"] == 10.0
            assert _targets(session) == sorted([(step, 10.0 + step) for step in range(3)] * 2)
    finally:
        engine.dispose()


def _targets(session) -> list[tuple[int, float]]:
    query = select(ForecastTarget.step, ForecastTarget.yhat)
    return sorted(session.execute(query.order_by(ForecastTarget.forecast_id)).tuples().all())


def _stored_targets(session, forecast_id: int) -> list[tuple]:
    query = (
        select(ForecastTarget)
        .where(ForecastTarget.forecast_id == forecast_id)
        .order_by(ForecastTarget.step)
    )
    return [(t.step, t.ds, t.origin, t.yhat, t.lo, t.hi) for t in session.scalars(query)]


def _expected_targets(payload) -> list[tuple]:
    first = datetime.fromisoformat(payload[0]["ds"])
    return [
        (i, datetime.fromisoformat(p["ds"]), first, p["yhat"], p["lo"], p["hi"])
        for i, p in enumerate(payload)
    ]


@pytest.mark.parametrize("bulk", [False, True])
def test_every_point_is_stored_by_its_target(session, bulk):
    """Single and bulk saves write each point as a `forecast_targets` row (ds, origin,
    values), deleted with its forecast."""
    ids = [series.create_series(session, f"s{i}").id for i in range(3)]
    if bulk:
        forecasts.save_forecasts_bulk(session, [_new(i) for i in ids], batch_size=2)
    else:
        for i in ids:
            _save(session, i, request_id=f"r{i}")
    session.commit()
    session.expunge_all()
    stored = [forecasts.latest_forecast(session, i) for i in ids]
    for forecast in stored:
        assert _stored_targets(session, forecast.id) == _expected_targets(forecast.payload)
    first_id = stored[0].id
    assert _stored_targets(session, first_id)[1][1] == START + timedelta(days=1)
    series.delete_series(session, ids[0])
    session.commit()
    assert _stored_targets(session, first_id) == []
    assert len(_targets(session)) == 6


def test_a_bad_forecast_in_a_bulk_writes_none(session):
    store = series.create_series(session, "store")
    bad = _new(store.id, points=_points(2, [80, 95]))
    with pytest.raises(ValueError, match="has 2 points but horizon 3"):
        forecasts.save_forecasts_bulk(session, [_new(store.id), bad])
    assert forecasts.latest_forecast(session, store.id) is None
    with pytest.raises(ValueError, match="kind must be one of"):
        forecasts.save_forecasts_bulk(session, [_new(store.id, kind="nightly")])


def test_latest_is_the_newest_of_its_kind(session):
    store = series.create_series(session, "store")
    forecasts.save_forecasts_bulk(session, [_new(store.id, model_version="1")])
    session.commit()
    request = _save(session, store.id, "req-late")
    session.commit()
    forecasts.save_forecasts_bulk(session, [_new(store.id, model_version="2")])
    session.commit()
    assert forecasts.latest_forecast(session, store.id, kind="batch").model_version == "2"
    assert forecasts.latest_forecast(session, store.id, kind="request").id == request.id
    assert request.kind == "request" and request.data_cutoff is None
