"""Drift rows on both backends: one answer per day, the newest day read back."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from core.db.repositories import drift, series
from core.db.repositories.drift import DriftRow


def _row(series_id: int, shift: float, stale: bool = False) -> DriftRow:
    return DriftRow(
        series_id=series_id, observations=10, level_shift=shift, spread_ratio=float("nan"),
        drifted=abs(shift) > 3, last_observed_at=datetime(2026, 3, 1, tzinfo=UTC),
        periods_since_last=5 if stale else 0, stale=stale,
    )  # fmt: skip


def test_newest_day_is_read_back_and_days_are_replaced(session):
    a = series.create_series(session, "a")
    b = series.create_series(session, "b")
    drift.replace_drift_day(session, date(2026, 3, 1), [_row(a.id, 5.0)])
    drift.replace_drift_day(session, date(2026, 3, 2), [_row(a.id, 1.0), _row(b.id, 4.0, True)])
    drift.replace_drift_day(session, date(2026, 3, 2), [_row(a.id, 0.5), _row(b.id, 4.0, True)])
    session.commit()
    rows = drift.latest_drift(session)
    assert [(name, r.level_shift, r.drifted, r.stale) for r, name in rows] == [
        ("a", 0.5, False, False),
        ("b", 4.0, True, True),
    ]
    assert rows[0][0].spread_ratio is None and not math.isnan(rows[0][0].level_shift)
    assert [name for _, name in drift.latest_drift(session, series_id=b.id)] == ["b"]
