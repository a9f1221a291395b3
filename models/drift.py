"""Data drift per series, and stale series.

The statistic compares a series' recent window (its last `window` observations) with the
reference before it: the `reference_length` observations preceding the window (all of them
when None), the recent history a model trains on. A bounded reference keeps a long trend
from reading as drift: against decades of history every trending series has "shifted".

- `level_shift` = (mean(recent) - mean(reference)) / std(reference): how many reference
  standard deviations the level moved (a scaled shift in level);
- `spread_ratio` = std(recent) / std(reference): how much the spread changed.

A series drifts when |level_shift| > `level_threshold` or `spread_ratio` is outside
[1 / `spread_threshold`, `spread_threshold`]. With a window of one season, the recent mean
covers every season once, so seasonality alone does not look like drift. A flat reference
(std 0) makes both statistics undefined (NaN) and the series is not called drifted. A series
with fewer than `window + 2` observations has no reference to compare with: NaN as well.

A series is stale when its newest observation is `stale_periods` or more periods (of the
panel's frequency) older than the reference time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["drift_statistics", "periods_between", "stale_series"]


def _one_series(
    values: np.ndarray, window: int, reference_length: int | None
) -> tuple[float, float]:
    if len(values) < window + 2:
        return float("nan"), float("nan")
    reference, recent = values[:-window], values[-window:]
    if reference_length is not None:
        reference = reference[-reference_length:]
    spread = float(np.std(reference, ddof=1))
    if not spread > 0:
        return float("nan"), float("nan")
    recent_spread = float(np.std(recent, ddof=1)) if window > 1 else float("nan")
    return float((recent.mean() - reference.mean()) / spread), recent_spread / spread


def drift_statistics(
    panel: pd.DataFrame,
    *,
    window: int,
    level_threshold: float,
    spread_threshold: float,
    reference_length: int | None = None,
) -> pd.DataFrame:
    """Per series of a long panel (`unique_id`, `ds`, `y`): `observations`, `level_shift`,
    `spread_ratio` and `drifted`."""
    if window < 1:
        raise ValueError(f"the recent window needs at least one observation, got {window}")
    if reference_length is not None and reference_length < 2:
        raise ValueError(f"the reference needs at least two observations, got {reference_length}")
    if spread_threshold <= 1:
        raise ValueError(f"spread_threshold must exceed 1, got {spread_threshold}")
    rows = []
    for unique_id, group in panel.sort_values(["unique_id", "ds"]).groupby("unique_id"):
        shift, ratio = _one_series(group["y"].to_numpy(float), window, reference_length)
        drifted = bool(
            abs(shift) > level_threshold or ratio > spread_threshold or ratio < 1 / spread_threshold
        )  # NaN compares False: an undefined statistic never flags drift
        rows.append((unique_id, len(group), shift, ratio, drifted))
    columns = ["unique_id", "observations", "level_shift", "spread_ratio", "drifted"]
    return pd.DataFrame(rows, columns=columns)


def periods_between(earlier: pd.Timestamp, later: pd.Timestamp, freq: str) -> int:
    """Whole periods of `freq` from `earlier` to `later` (0 when later is not after it)."""
    if later <= earlier:
        return 0
    return len(pd.date_range(earlier, later, freq=freq)) - 1


def stale_series(
    last_observed: pd.Series, *, reference: pd.Timestamp, freq: str, stale_periods: int
) -> pd.DataFrame:
    """`last_observed` maps unique_id -> newest timestamp; per series the periods since it
    (up to `reference`) and whether that is `stale_periods` or more."""
    if stale_periods < 1:
        raise ValueError(f"stale_periods must be at least 1, got {stale_periods}")
    periods = {
        unique_id: periods_between(pd.Timestamp(ts), reference, freq)
        for unique_id, ts in last_observed.items()
    }
    frame = pd.DataFrame({"unique_id": list(periods), "periods_since_last": list(periods.values())})
    frame["stale"] = frame["periods_since_last"] >= stale_periods
    return frame
