"""Forecast records round-trip on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.db.repositories import forecasts, series

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
