"""Series drift: one row per series and day, replaced as a whole per day."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.db.repositories.series import in_dataset
from core.db.tables import Series, SeriesDrift

__all__ = ["DriftRow", "latest_drift", "replace_drift_day"]


@dataclass(frozen=True)
class DriftRow:
    series_id: int
    observations: int
    level_shift: float | None
    spread_ratio: float | None
    drifted: bool
    last_observed_at: datetime | None
    periods_since_last: int
    stale: bool


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def replace_drift_day(
    session: Session, partition_day: date, rows: Sequence[DriftRow], dataset_id: int | None = None
) -> int:
    """Store `rows` as the whole drift answer of `partition_day` for the dataset's series
    (None: `default`); another dataset's rows of the day stay."""
    theirs = select(Series.id).where(in_dataset(dataset_id))
    session.execute(
        delete(SeriesDrift).where(
            SeriesDrift.partition_day == partition_day, SeriesDrift.series_id.in_(theirs)
        )
    )
    for row in rows:
        session.add(
            SeriesDrift(
                partition_day=partition_day,
                series_id=row.series_id,
                observations=row.observations,
                level_shift=_finite(row.level_shift),
                spread_ratio=_finite(row.spread_ratio),
                drifted=bool(row.drifted),
                last_observed_at=row.last_observed_at,
                periods_since_last=row.periods_since_last,
                stale=bool(row.stale),
            )
        )
    session.flush()
    return len(rows)


def latest_drift(session: Session, series_id: int | None = None) -> list[tuple[SeriesDrift, str]]:
    """The rows of the newest day that has drift rows (of one series when given)."""
    newest = session.scalar(select(func.max(SeriesDrift.partition_day)))
    if newest is None:
        return []
    query = (
        select(SeriesDrift, Series.name)
        .join(Series, Series.id == SeriesDrift.series_id)
        .where(SeriesDrift.partition_day == newest)
        .order_by(Series.name)
    )
    if series_id is not None:
        query = query.where(SeriesDrift.series_id == series_id)
    return [(row, name) for row, name in session.execute(query)]
