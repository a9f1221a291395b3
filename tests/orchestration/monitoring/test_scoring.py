"""Scoring a day: on PostgreSQL, with every series' frequency recorded, only the day's
actuals are read and the scales come from the database, with the answer the history gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.db.repositories.forecasts import save_forecast
from core.db.repositories.observations import upsert_panel
from core.db.repositories.series import series_ids_by_name
from orchestration.defs.monitoring import scoring

MODEL = "quantis-forecaster"
DAY0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = date(2026, 1, 31)


def _seed(session: Session) -> None:
    rng = np.random.default_rng(3)
    names = ["a", "b", "flat", "short"]
    lengths = {"a": 31, "b": 31, "flat": 31, "short": 5}  # short: its history starts late
    rows = []
    for name in names:
        first = 31 - lengths[name]
        for day in range(first, 31):
            value = 4.0 if name == "flat" else float(rng.normal(20.0, 3.0))
            rows.append((name, (DAY0 + timedelta(days=day)).replace(tzinfo=None), value))
    upsert_panel(session, pd.DataFrame(rows, columns=["unique_id", "ds", "y"]), frequency="D")
    ids = series_ids_by_name(session, names)
    for name in names:
        for origin_day in (28, 30):  # two origins; the newer forecast counts
            origin = DAY0 + timedelta(days=origin_day)
            save_forecast(
                session, request_id=f"r{origin_day}", series_id=ids[name], model_name=MODEL,
                model_version="1", horizon=3, levels=[80],
                points=[
                    {"ds": origin + timedelta(days=step), "yhat": 19.0 + step,
                     "lo": {80: 15.0}, "hi": {80: 25.0}}
                    for step in range(3)
                ],
            )  # fmt: skip
    session.commit()


def test_scoring_reads_the_days_actuals_not_the_history(migrated_engine, monkeypatch):
    reads = []
    read_panel = scoring.read_panel

    def spied(session, **options):
        reads.append(options)
        return read_panel(session, **options)

    monkeypatch.setattr(scoring, "read_panel", spied)
    with Session(migrated_engine) as session:
        _seed(session)
        scored = scoring.score_day(session, DAY, MODEL)
        in_database = scoring.can_compute_scales(session)
        monkeypatch.setattr(scoring, "can_compute_scales", lambda session: False)
        from_history = scoring.score_day(session, DAY, MODEL)
    assert "start" not in reads[-1]  # the history path reads every observation before the day
    first = reads[0]
    if in_database:
        assert first["start"] == datetime(2026, 1, 31, tzinfo=UTC)  # the day's actuals only
    else:
        assert "start" not in first  # SQLite: the history, as before
    assert (scored.scored_points, scored.pending_points) == (4, 0)
    assert [(r.series_id, r.points, r.smape, r.bias, r.coverage) for r in scored.rows] == [
        (r.series_id, r.points, r.smape, r.bias, r.coverage) for r in from_history.rows
    ]
    assert [r.mase for r in scored.rows] == [
        None if r.mase is None else pytest.approx(r.mase, rel=1e-12) for r in from_history.rows
    ]
    assert sum(r.mase is None for r in scored.rows) == 1  # the flat series
