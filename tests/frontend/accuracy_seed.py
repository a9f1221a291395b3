"""Live accuracy for the browser test, made the way production makes it: the model server
forecasts each series from its history without the last week, the forecasts are stored, and the
monitoring scoring (`orchestration.defs.monitoring.scoring`) scores each of those seven days."""

from __future__ import annotations

from datetime import date

import httpx
import pandas as pd

from core.db.engine import make_engine, session_scope
from core.db.repositories.forecasts import save_forecast
from core.db.repositories.live_accuracy import replace_day
from core.db.repositories.observations import read_panel
from core.db.repositories.series import get_series_by_name
from core.settings import Settings
from orchestration.defs.monitoring.scoring import score_day

__all__ = ["WEEK", "seed_live_accuracy"]

WEEK = 7
LEVELS = [80, 95]


def _forecast(model_server_url: str, history: pd.DataFrame) -> dict[str, list[dict]]:
    body = {
        "series": [
            {"id": name, "timestamps": [d.isoformat() for d in g["ds"]], "values": g["y"].tolist()}
            for name, g in history.groupby("unique_id")
        ],
        "horizon": WEEK,
        "levels": LEVELS,
    }
    answer = httpx.post(f"{model_server_url}/forecast", json=body, timeout=120)
    answer.raise_for_status()
    return {item["id"]: item["points"] for item in answer.json()}


def seed_live_accuracy(settings: Settings, model_version: str = "1") -> list[date]:
    """Forecast the last week of every series with the running model server, store those
    forecasts as `model_version`'s, and score the week. Returns the scored days."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            panel = read_panel(session)
            cut = panel.groupby("unique_id")["ds"].transform(lambda ds: ds.iloc[-WEEK])
            forecasts = _forecast(settings.model_server_url, panel[panel["ds"] < cut])
            for name, points in forecasts.items():
                save_forecast(
                    session, request_id=f"seed-{name}",
                    series_id=get_series_by_name(session, name).id,
                    model_name=settings.registered_model_name, model_version=model_version,
                    horizon=WEEK, levels=LEVELS,
                    points=[{"ds": p["ds"], "yhat": p["yhat"], "lo": p["lower"], "hi": p["upper"]}
                            for p in points],
                )  # fmt: skip
            days = sorted({d.date() for d in panel[panel["ds"] >= cut]["ds"]})
            for day in days:
                score = score_day(session, day, settings.registered_model_name)
                replace_day(session, day, settings.registered_model_name, score.rows)
    finally:
        engine.dispose()
    return days
