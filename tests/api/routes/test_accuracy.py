"""`/api/v1/models/{version}/accuracy` and `/api/v1/series/{id}/accuracy` over stored rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from served_model import register_champion

from core.db.engine import make_engine, session_scope
from core.db.repositories.forecasts import save_forecast
from core.db.repositories.live_accuracy import AccuracyRow, replace_day
from core.db.repositories.observations import upsert_observations
from core.db.repositories.series import create_series

DAY = datetime(2026, 1, 7, tzinfo=UTC)
BACKTEST_MASE = 0.8


@pytest.fixture
def seeded(api_settings, tmp_path) -> dict[str, int]:
    """Version 1 (backtest MASE 0.8) scored on two days for series a and b."""
    register_champion(
        api_settings.mlflow_tracking_uri,
        api_settings.registered_model_name,
        tmp_path / "artifacts",
        BACKTEST_MASE,
    )
    name = api_settings.registered_model_name
    engine = make_engine(api_settings.database_url)
    with session_scope(engine) as session:
        a, b = create_series(session, "a", "D"), create_series(session, "b", "D")
        upsert_observations(session, [(a.id, DAY, 7.0), (a.id, DAY + timedelta(days=1), 12.0)])
        save_forecast(
            session, request_id="r", series_id=a.id, model_name=name, model_version="1",
            horizon=3, levels=[80],
            points=[
                {"ds": DAY + timedelta(days=i), "yhat": y, "lo": {80: y - 1}, "hi": {80: y + 1}}
                for i, y in enumerate([6.0, 10.0, 13.0])
            ],
        )  # fmt: skip

        def row(series_id, mase, points=1, coverage=1.0):
            return AccuracyRow("1", series_id, points, mase, 10.0, -1.0, 1.0, {"80": coverage})

        replace_day(session, date(2026, 1, 7), name, [row(a.id, 1.0), row(b.id, 0.4, 3)])
        replace_day(session, date(2026, 1, 8), name, [row(a.id, 2.0, coverage=0.0)])
    engine.dispose()
    return {"a": a.id, "b": b.id}


@pytest.mark.slow
def test_model_accuracy_against_the_backtest(client, headers, seeded):
    response = client.get("/api/v1/models/1/accuracy", headers=headers("read"))
    assert response.status_code == 200, response.text
    body = response.json()
    # a: (1.0 + 2.0) / 2 = 1.5 over its two points; b: 0.4. Mean over series 0.95.
    assert body["live"]["mase"] == pytest.approx(0.95)
    assert body["backtest_mase"] == pytest.approx(BACKTEST_MASE)
    assert body["live_to_backtest"] == pytest.approx(0.95 / 0.8)
    assert body["degraded"] is False and body["degradation_factor"] == 1.5
    assert body["live"]["coverage"]["80"] == pytest.approx((0.5 + 1.0) / 2)
    assert [(d["day"], d["mase"]) for d in body["daily"]] == [
        ("2026-01-07", pytest.approx(0.7)),
        ("2026-01-08", pytest.approx(2.0)),
    ]
    assert client.get("/api/v1/models/77/accuracy", headers=headers("read")).status_code == 404
    assert client.get("/api/v1/models/1/accuracy").status_code == 401


@pytest.mark.slow
def test_series_accuracy_shows_forecasts_against_what_happened(client, headers, seeded):
    response = client.get(f"/api/v1/series/{seeded['a']}/accuracy", headers=headers("read"))
    assert response.status_code == 200, response.text
    body = response.json()
    [version] = body["versions"]
    assert (version["version"], version["points"]) == ("1", 2)
    assert version["mase"] == pytest.approx(1.5) and version["coverage"]["80"] == 0.5
    # The third point (day 9) has no actual yet: not an outcome.
    assert [(o["forecast"], o["actual"], o["error"]) for o in body["outcomes"]] == [
        (6.0, 7.0, -1.0),
        (10.0, 12.0, -2.0),
    ]
    missing = client.get("/api/v1/series/999/accuracy", headers=headers("read"))
    assert missing.status_code == 404
