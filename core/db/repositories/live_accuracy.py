"""Live accuracy: the forecast points to score, the per-day results, and their summaries.

A day's rows are replaced as a whole (`replace_day`), so materializing a partition twice
leaves one answer. Summaries combine days by weighting each day's figures with the points
it scored (a day's MASE is the mean of its scaled errors, so the weighted mean is the mean
over all points), then average over series as the backtest does.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, any_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from core.db.tables import Forecast, ForecastTarget, LiveAccuracy, Series
from core.db.types import as_utc

__all__ = [
    "AccuracyRow",
    "ForecastPoint",
    "accuracy_rows",
    "combine_rows",
    "daily_summaries",
    "forecast_points",
    "recent_summary",
    "replace_day",
    "series_summaries",
    "summarize_rows",
    "version_summary",
]

METRICS = ("mase", "smape", "bias", "mae")


@dataclass(frozen=True)
class ForecastPoint:
    """One stored forecast point: which version forecast what, from which origin."""

    model_version: str
    series_id: int
    series_name: str
    ds: datetime
    origin: datetime  # the forecast's first target: its history ended before this
    yhat: float
    lo: dict[str, float]
    hi: dict[str, float]
    forecast_id: int


@dataclass(frozen=True)
class AccuracyRow:
    """One (model version, series) result of one day, as `replace_day` stores it."""

    model_version: str
    series_id: int
    points: int
    mase: float | None
    smape: float
    bias: float
    mae: float
    coverage: dict[str, float] = field(default_factory=dict)


_LOOKUP_IDS = 5000  # forecast ids per lookup query


def forecast_points(
    session: Session,
    *,
    start: datetime,
    before: datetime,
    model_name: str | None = None,
    series_id: int | None = None,
) -> list[ForecastPoint]:
    """Stored points with a target in [start, before). Where one version forecast the same
    (series, target) more than once, the newest forecast's point counts.

    Only the points that target the window are read (`forecast_targets` through its `ds`
    index), then their forecasts by id: index ranges and primary-key lookups, whatever the
    planner knows of the tables (a join planned without statistics could scan the window's
    points once per forecast). The interval bounds (JSON) are read for the newest points only.
    On PostgreSQL the newest points are chosen in the database (`_newest_points_postgres`).
    """
    start, before = as_utc(start), as_utc(before)
    in_window = (ForecastTarget.ds >= start, ForecastTarget.ds < before)
    if session.get_bind().dialect.name == "postgresql":
        return _newest_points_postgres(session, in_window, model_name, series_id)
    targets = session.execute(select(*_POINT_COLUMNS).where(*in_window)).all()
    forecasts = _forecasts_by_id(session, {t.forecast_id for t in targets}, model_name, series_id)
    kept = [t for t in targets if t.forecast_id in forecasts]
    kept.sort(key=lambda t: (forecasts[t.forecast_id].created_at, t.forecast_id))
    newest = {}
    for target in kept:
        forecast = forecasts[target.forecast_id]
        newest[(forecast.model_version, forecast.series_id, as_utc(target.ds))] = target
    bounds = _interval_bounds(session, newest.values(), in_window)
    names = _series_names(session, {f.series_id for f in forecasts.values()})
    points = [
        ForecastPoint(
            model_version=version,
            series_id=series,
            series_name=names[series],
            ds=ds,
            origin=as_utc(target.origin),
            yhat=float(target.yhat),
            lo=dict(bounds[target.forecast_id, target.step][0] or {}),
            hi=dict(bounds[target.forecast_id, target.step][1] or {}),
            forecast_id=target.forecast_id,
        )
        for (version, series, ds), target in newest.items()
    ]
    return sorted(points, key=lambda p: (p.model_version, p.series_name, p.ds))


# what a day's points are read with (their interval bounds apart)
_POINT_COLUMNS = (
    ForecastTarget.forecast_id,
    ForecastTarget.step,
    ForecastTarget.ds,
    ForecastTarget.origin,
    ForecastTarget.yhat,
)


def _newest_points_postgres(
    session: Session, in_window, model_name: str | None, series_id: int | None
) -> list[ForecastPoint]:
    """`forecast_points` on PostgreSQL: the newest point per (version, series, target) chosen
    in the database (`DISTINCT ON`), so only those rows come back, whatever the number of
    batches that forecast the window. The window's points are taken first (a materialized
    set from the `ds` index) and their forecasts joined by primary key, the shape that does
    not depend on the planner's statistics."""
    window = (
        select(*_POINT_COLUMNS, ForecastTarget.lo, ForecastTarget.hi)
        .where(*in_window)
        .cte("window_points")
        .prefix_with("MATERIALIZED")
    )
    query = (
        select(
            Forecast.model_version,
            Forecast.series_id,
            Series.name,
            window.c.forecast_id,
            window.c.ds,
            window.c.origin,
            window.c.yhat,
            window.c.lo,
            window.c.hi,
        )
        .join(Forecast, Forecast.id == window.c.forecast_id)
        .join(Series, Series.id == Forecast.series_id)
        .distinct(Forecast.model_version, Forecast.series_id, window.c.ds)
        .order_by(
            Forecast.model_version,
            Forecast.series_id,
            window.c.ds,
            Forecast.created_at.desc(),
            Forecast.id.desc(),
        )
    )
    if model_name is not None:
        query = query.where(Forecast.model_name == model_name)
    if series_id is not None:
        query = query.where(Forecast.series_id == series_id)
    points = [
        ForecastPoint(
            model_version=row.model_version,
            series_id=row.series_id,
            series_name=row.name,
            ds=as_utc(row.ds),
            origin=as_utc(row.origin),
            yhat=float(row.yhat),
            lo=dict(row.lo or {}),
            hi=dict(row.hi or {}),
            forecast_id=row.forecast_id,
        )
        for row in session.execute(query)
    ]
    return sorted(points, key=lambda p: (p.model_version, p.series_name, p.ds))


def _id_filters(session: Session, column, ids: Iterable[int]) -> list:
    """Conditions `column` in `ids`: one `= ANY(array)` on PostgreSQL (one parameter, however
    many ids), chunks of `IN` lists elsewhere."""
    ordered = sorted(set(ids))
    if session.get_bind().dialect.name == "postgresql":
        return [column == any_(bindparam("ids", ordered, type_=ARRAY(BigInteger)))]
    return [
        column.in_(ordered[first : first + _LOOKUP_IDS])
        for first in range(0, len(ordered), _LOOKUP_IDS)
    ]


def _forecasts_by_id(
    session: Session, ids: set[int], model_name: str | None, series_id: int | None
) -> dict[int, Any]:
    """(id, model_version, series_id, created_at) of the forecasts among `ids` that match."""
    found = {}
    if not ids:
        return found
    for condition in _id_filters(session, Forecast.id, ids):
        query = select(
            Forecast.id, Forecast.model_version, Forecast.series_id, Forecast.created_at
        ).where(condition)
        if model_name is not None:
            query = query.where(Forecast.model_name == model_name)
        if series_id is not None:
            query = query.where(Forecast.series_id == series_id)
        found.update({row.id: row for row in session.execute(query)})
    return found


def _interval_bounds(session: Session, targets: Iterable[Any], in_window) -> dict:
    """(forecast id, step) -> (lo, hi) of the given points of the window."""
    wanted = {(t.forecast_id, t.step) for t in targets}
    bounds = {}
    if not wanted:
        return bounds
    for condition in _id_filters(session, ForecastTarget.forecast_id, {i for i, _ in wanted}):
        query = select(
            ForecastTarget.forecast_id, ForecastTarget.step, ForecastTarget.lo, ForecastTarget.hi
        ).where(condition, *in_window)
        for forecast_id, step, lo, hi in session.execute(query):
            if (forecast_id, step) in wanted:
                bounds[forecast_id, step] = (lo, hi)
    return bounds


def _series_names(session: Session, ids: set[int]) -> dict[int, str]:
    names = {}
    if not ids:
        return names
    for condition in _id_filters(session, Series.id, ids):
        query = select(Series.id, Series.name).where(condition)
        names.update(session.execute(query).tuples().all())
    return names


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def replace_day(
    session: Session, partition_day: date, model_name: str, rows: Sequence[AccuracyRow]
) -> int:
    """Store `rows` as the whole answer of `partition_day` for `model_name`."""
    session.execute(
        delete(LiveAccuracy).where(
            LiveAccuracy.partition_day == partition_day, LiveAccuracy.model_name == model_name
        )
    )
    for row in rows:
        if row.points < 1:
            raise ValueError(f"series id {row.series_id}: a result needs at least one point")
        session.add(
            LiveAccuracy(
                partition_day=partition_day,
                model_name=model_name,
                model_version=str(row.model_version),
                series_id=row.series_id,
                points=row.points,
                mase=_finite(row.mase),
                smape=float(row.smape),
                bias=float(row.bias),
                mae=float(row.mae),
                coverage={str(k): float(v) for k, v in row.coverage.items()},
            )
        )
    session.flush()
    return len(rows)


def accuracy_rows(
    session: Session,
    *,
    model_name: str | None = None,
    model_version: str | None = None,
    series_id: int | None = None,
    since: date | None = None,
) -> list[tuple[LiveAccuracy, str]]:
    """Stored rows with their series name, oldest day first."""
    query = select(LiveAccuracy, Series.name).join(Series, Series.id == LiveAccuracy.series_id)
    if model_name is not None:
        query = query.where(LiveAccuracy.model_name == model_name)
    if model_version is not None:
        query = query.where(LiveAccuracy.model_version == str(model_version))
    if series_id is not None:
        query = query.where(LiveAccuracy.series_id == series_id)
    if since is not None:
        query = query.where(LiveAccuracy.partition_day >= since)
    query = query.order_by(LiveAccuracy.partition_day, Series.name)
    return [(row, name) for row, name in session.execute(query)]


def combine_rows(rows: Iterable[LiveAccuracy]) -> dict[str, Any]:
    """Points-weighted figures of several rows (days) of one series."""
    rows = list(rows)
    points = sum(row.points for row in rows)
    figures: dict[str, Any] = {"points": points}
    for metric in METRICS:
        known = [(getattr(row, metric), row.points) for row in rows]
        if any(value is None for value, _ in known):
            figures[metric] = None  # an unscalable day makes the whole undefined, never smaller
        else:
            figures[metric] = sum(value * n for value, n in known) / points
    coverage: dict[str, float] = {}
    for level in sorted({level for row in rows for level in row.coverage}, key=float):
        weighted = [(row.coverage[level], row.points) for row in rows if level in row.coverage]
        coverage[level] = sum(v * n for v, n in weighted) / sum(n for _, n in weighted)
    figures["coverage"] = coverage
    return figures


def series_summaries(
    rows: Sequence[tuple[LiveAccuracy, str]],
) -> dict[tuple[str, str], dict[str, Any]]:
    """(model version, series name) -> combined figures and the days they cover."""
    grouped: dict[tuple[str, str], list[LiveAccuracy]] = defaultdict(list)
    for row, name in rows:
        grouped[(row.model_version, name)].append(row)
    return {
        key: combine_rows(group)
        | {"first_day": group[0].partition_day, "last_day": group[-1].partition_day}
        for key, group in grouped.items()
    }


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def summarize_rows(rows: Sequence[tuple[LiveAccuracy, str]]) -> dict[str, Any] | None:
    """Per series combined over days, then the mean over series (series without a MASE are
    skipped, as in the backtest). None for no rows."""
    if not rows:
        return None
    per_series = series_summaries(rows)
    days = sorted({row.partition_day for row, _ in rows})
    summary: dict[str, Any] = {
        "series": len(per_series),
        "points": sum(s["points"] for s in per_series.values()),
        "days": len(days),
        "first_day": days[0],
        "last_day": days[-1],
    }
    for metric in METRICS:
        summary[metric] = _mean([s[metric] for s in per_series.values()])
    levels = sorted({lvl for s in per_series.values() for lvl in s["coverage"]}, key=float)
    summary["coverage"] = {
        level: _mean([s["coverage"].get(level) for s in per_series.values()]) for level in levels
    }
    return summary


def version_summary(
    session: Session,
    model_version: str,
    *,
    model_name: str | None = None,
    since: date | None = None,
) -> dict[str, Any] | None:
    """One version's live figures over every scored day (from `since`)."""
    rows = accuracy_rows(session, model_name=model_name, model_version=model_version, since=since)
    return summarize_rows(rows)


def daily_summaries(
    session: Session,
    model_version: str,
    *,
    model_name: str | None = None,
    since: date | None = None,
) -> list[dict[str, Any]]:
    """One version's figures day by day (oldest first), each as `summarize_rows` gives."""
    by_day: dict[date, list[tuple[LiveAccuracy, str]]] = defaultdict(list)
    rows = accuracy_rows(session, model_name=model_name, model_version=model_version, since=since)
    for row, name in rows:
        by_day[row.partition_day].append((row, name))
    return [summarize_rows(day_rows) | {"day": day} for day, day_rows in sorted(by_day.items())]


def recent_summary(
    session: Session, model_version: str, *, model_name: str | None = None, days: int
) -> dict[str, Any] | None:
    """A version's figures over its last `days` scored days (None when none was scored)."""
    rows = accuracy_rows(session, model_name=model_name, model_version=model_version)
    recent = sorted({row.partition_day for row, _ in rows})[-days:]
    return summarize_rows([(row, name) for row, name in rows if row.partition_day in recent])
