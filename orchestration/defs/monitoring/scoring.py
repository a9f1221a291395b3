"""From the operational database to `models.live_accuracy` and `models.drift`, and back.

Each function reads one partition day's inputs in the caller's session and returns rows the
repositories store; the arithmetic lives in `models/`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.repositories.drift import DriftRow
from core.db.repositories.live_accuracy import AccuracyRow, ForecastPoint, forecast_points
from core.db.repositories.observations import (
    can_compute_scales,
    read_panel,
    seasonal_scales,
)
from core.db.repositories.series import in_dataset
from core.db.tables import Series
from models.drift import drift_statistics, stale_series
from models.live_accuracy import live_metrics, pending_points
from models.metrics import interval_columns
from models.validation import PanelValidationError, infer_freq, season_length_for

__all__ = ["DayScore", "day_bounds", "drift_rows", "score_day"]


@dataclass(frozen=True)
class DayScore:
    rows: list[AccuracyRow]
    scored_points: int
    pending_points: int  # forecast points of the day whose actual has not arrived
    levels: tuple[int, ...]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def _naive(moment: datetime) -> pd.Timestamp:
    return pd.Timestamp(moment).tz_convert(None)


def _points_frame(points: Sequence[ForecastPoint], levels: Sequence[int]) -> pd.DataFrame:
    records = []
    for p in points:
        record = {
            "model_version": p.model_version,
            "unique_id": p.series_name,
            "ds": _naive(p.ds),
            "origin": _naive(p.origin),
            "yhat": p.yhat,
        }
        for level in levels:
            lo_column, hi_column = interval_columns(level)
            record[lo_column] = p.lo.get(str(level))
            record[hi_column] = p.hi.get(str(level))
        records.append(record)
    return pd.DataFrame.from_records(records)


def _frequencies(
    session: Session, history: pd.DataFrame, dataset_id: int | None = None
) -> dict[str, str]:
    """Each series' frequency: the one recorded on the series, else the panel's, inferred
    from the history as ingestion infers it (ingestion does not write it on the series)."""
    names = set(history["unique_id"])
    query = select(Series.name, Series.frequency).where(
        Series.name.in_(names), in_dataset(dataset_id)
    )
    recorded = {name: freq for name, freq in session.execute(query) if freq}
    unknown = history[~history["unique_id"].isin(recorded)]
    if unknown.empty:
        return recorded
    try:
        inferred = infer_freq(history)  # one panel, one frequency, as training assumes
    except PanelValidationError as error:
        raise ValueError(
            f"cannot tell the frequency of {unknown['unique_id'].nunique()} series "
            f"(e.g. {sorted(set(unknown['unique_id']))[:5]}): {error}"
        ) from error
    return recorded | dict.fromkeys(set(unknown["unique_id"]), inferred)


def _recorded_frequencies(
    session: Session, names: set[str], dataset_id: int | None = None
) -> dict[str, str]:
    """The frequency recorded on each named series of the dataset that has one."""
    recorded: dict[str, str] = {}
    ordered = sorted(names)
    for first in range(0, len(ordered), _NAMES_PER_QUERY):
        query = select(Series.name, Series.frequency).where(
            Series.name.in_(ordered[first : first + _NAMES_PER_QUERY]), in_dataset(dataset_id)
        )
        recorded.update({name: freq for name, freq in session.execute(query) if freq})
    return recorded


_NAMES_PER_QUERY = 5000


def _database_scales(
    session: Session, points: pd.DataFrame, ids: dict[str, int], season_length: int
) -> dict[tuple[str, pd.Timestamp], float | None]:
    """The scale of each (unique_id, origin) of `points`, computed in the database."""
    keys = set(zip(points["unique_id"], points["origin"], strict=True))
    names = {ids[name]: name for name, _ in keys}
    found = seasonal_scales(
        session,
        [(ids[name], origin.tz_localize(UTC).to_pydatetime()) for name, origin in keys],
        season_length,
    )
    return {(names[series], _naive(origin)): scale for (series, origin), scale in found.items()}


def _to_row(record: dict, ids: dict[str, int], levels: Sequence[int]) -> AccuracyRow:
    coverage = {
        str(level): float(record[f"coverage_{level:g}"])
        for level in levels
        if pd.notna(record[f"coverage_{level:g}"])
    }
    return AccuracyRow(
        model_version=str(record["model_version"]),
        series_id=ids[record["unique_id"]],
        points=int(record["points"]),
        mase=None if pd.isna(record["mase"]) else float(record["mase"]),
        smape=float(record["smape"]),
        bias=float(record["bias"]),
        mae=float(record["mae"]),
        coverage=coverage,
    )


def score_day(
    session: Session, day: date, model_name: str, dataset_id: int | None = None
) -> DayScore:
    """Live accuracy of every version of `model_name` (a dataset's registered model) for the
    actuals of the dataset's series (None: `default`) timestamped on `day`."""
    start, before = day_bounds(day)
    points = forecast_points(session, start=start, before=before, model_name=model_name)
    if not points:
        return DayScore([], 0, 0, ())
    levels = tuple(sorted({int(level) for p in points for level in p.lo}))
    ids = {p.series_name: p.series_id for p in points}
    frame = _points_frame(points, levels)
    recorded = _recorded_frequencies(session, set(ids), dataset_id)
    history = None
    if can_compute_scales(session) and len(recorded) == len(ids):
        # Only the day's actuals are read; the scales come from the database, whose history
        # (every observation of every series) never comes to Python.
        actuals = read_panel(
            session, series_ids=set(ids.values()), start=start, before=before,
            dataset_id=dataset_id,
        )  # fmt: skip
        frequencies = recorded
    else:
        history = read_panel(
            session, series_ids=set(ids.values()), before=before, dataset_id=dataset_id
        )
        actuals = history[history["ds"] >= _naive(start)]
        frequencies = _frequencies(session, history, dataset_id)
    rows: list[AccuracyRow] = []
    by_season = pd.Series({n: season_length_for(f) for n, f in frequencies.items()})
    for season_length, names in by_season.groupby(by_season).groups.items():
        part = frame[frame["unique_id"].isin(names)]
        if history is None:
            scales = _database_scales(session, part, ids, int(season_length))
            result = live_metrics(
                part, actuals, season_length=int(season_length), levels=levels, scales=scales
            )
        else:
            result = live_metrics(
                part, actuals, history, season_length=int(season_length), levels=levels
            )
        rows += [_to_row(record, ids, levels) for record in result.to_dict("records")]
    scored = sum(row.points for row in rows)
    return DayScore(rows, scored, pending_points(frame, actuals), levels)


def drift_rows(
    session: Session,
    day: date,
    *,
    window: int,
    reference_windows: int,
    level_threshold: float,
    spread_threshold: float,
    stale_periods: int,
    dataset_id: int | None = None,
) -> list[DriftRow]:
    """Drift and staleness of every series of the dataset (None: `default`) with
    observations before the end of `day`."""
    start, before = day_bounds(day)
    panel = read_panel(session, before=before, dataset_id=dataset_id)
    if panel.empty:
        return []
    frequencies = _frequencies(session, panel, dataset_id)
    ids = dict(session.execute(select(Series.name, Series.id).where(in_dataset(dataset_id))).all())
    frequency_of = panel["unique_id"].map(frequencies)
    rows = []
    for freq, part in panel.groupby(frequency_of):
        recent = window or season_length_for(freq)
        stats = drift_statistics(
            part,
            window=recent,
            reference_length=reference_windows * recent if reference_windows else None,
            level_threshold=level_threshold,
            spread_threshold=spread_threshold,
        ).set_index("unique_id")
        last = part.groupby("unique_id")["ds"].max()
        stale = stale_series(
            last, reference=_naive(start), freq=freq, stale_periods=stale_periods
        ).set_index("unique_id")
        for name, statistic in stats.iterrows():
            rows.append(
                DriftRow(
                    series_id=ids[name],
                    observations=int(statistic["observations"]),
                    level_shift=float(statistic["level_shift"]),
                    spread_ratio=float(statistic["spread_ratio"]),
                    drifted=bool(statistic["drifted"]),
                    last_observed_at=last[name].tz_localize(UTC).to_pydatetime(),
                    periods_since_last=int(stale.loc[name, "periods_since_last"]),
                    stale=bool(stale.loc[name, "stale"]),
                )
            )
    return rows
