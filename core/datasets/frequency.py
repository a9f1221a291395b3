"""What a dataset's frequency implies: its season length, a default horizon, and its grid.

`core` imports nothing of ours, so the calendar units are read here from pandas' offsets;
`models.validation.season_length_for` gives the same season lengths to the models.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

__all__ = [
    "default_horizon",
    "frequency_unit",
    "horizon_timestamps",
    "normalized_frequency",
    "off_grid_positions",
    "season_length",
]

# Calendar unit of each offset class, by the letters of its name (`QS-OCT` -> `QS`).
_UNITS = {
    "s": "second", "min": "minute", "h": "hour",
    "D": "day", "B": "day", "C": "day",
    "W": "week",
    "MS": "month", "ME": "month", "BMS": "month", "BME": "month",
    "SMS": "semimonth", "SME": "semimonth",
    "QS": "quarter", "QE": "quarter", "BQS": "quarter", "BQE": "quarter",
    "YS": "year", "YE": "year", "BYS": "year", "BYE": "year",
}  # fmt: skip
# Periods in one seasonal cycle of each unit (as models.validation reads them).
_CYCLE = {"second": 60, "minute": 60, "hour": 24, "day": 7, "week": 52, "semimonth": 24}
_CYCLE |= {"month": 12, "quarter": 4, "year": 1}
# Horizons of the M4 competition per unit: a default that forecasters of that unit know.
_HORIZON = {"second": 60, "minute": 60, "hour": 48, "day": 14, "week": 13, "semimonth": 24}
_HORIZON |= {"month": 18, "quarter": 8, "year": 6}


def _offset(frequency: str) -> pd.DateOffset:
    try:
        with warnings.catch_warnings():
            # Old aliases (Q, M, A) still parse; `normalized_frequency` stores the new ones.
            warnings.simplefilter("ignore", FutureWarning)
            return to_offset(frequency)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"frequency {frequency!r} is not a pandas offset alias (e.g. D, W-SUN, MS, QS, h)"
        ) from error


def frequency_unit(frequency: str) -> str:
    """Calendar unit of a frequency: second, minute, hour, day, week, month, quarter, year."""
    letters = "".join(ch for ch in _offset(frequency).name.split("-")[0] if ch.isalpha())
    if letters not in _UNITS:
        raise ValueError(f"frequency {frequency!r} is not supported (its unit {letters!r})")
    return _UNITS[letters]


def normalized_frequency(frequency: str) -> str:
    """The alias pandas prints for `frequency` (`Q` -> `QE-DEC`, `W` -> `W-SUN`), checked."""
    frequency_unit(frequency)
    return _offset(frequency).freqstr


def season_length(frequency: str) -> int:
    """Periods in one seasonal cycle (daily 7, monthly 12, quarterly 4); multiples divide
    the cycle when they can (2h -> 12) and otherwise mean no seasonality (1)."""
    cycle = _CYCLE[frequency_unit(frequency)]
    n = max(abs(int(getattr(_offset(frequency), "n", 1))), 1)
    return cycle // n if cycle % n == 0 else 1


def default_horizon(frequency: str) -> int:
    """Steps a dataset of this frequency forecasts unless told otherwise (M4's horizons)."""
    return _HORIZON[frequency_unit(frequency)]


def horizon_timestamps(last: datetime, frequency: str, steps: int) -> list[pd.Timestamp]:
    """The `steps` timestamps after `last` on the grid of `frequency` (`last` + k periods, as
    the models date their forecasts), naive UTC."""
    offset = _offset(frequency)
    start = pd.Timestamp(last)
    if start.tzinfo is not None:
        start = start.tz_convert("UTC").tz_localize(None)
    return [start + k * offset for k in range(1, steps + 1)]


def off_grid_positions(
    stamps: Sequence[datetime], frequency: str, anchor: datetime | None = None
) -> list[int]:
    """Positions in `stamps` that are not on the grid of `frequency`.

    Calendar offsets (weeks, months, quarters, years, business days) have a grid of their own:
    a stamp is on it when the offset says so and it falls on midnight. Fixed steps (hours,
    days, minutes) are counted from `anchor` (a series' first stored point; the earliest stamp
    given when None), so a daily series at 09:00 is regular.
    """
    if not len(stamps):
        return []
    offset = _offset(frequency)
    index = pd.DatetimeIndex(pd.to_datetime(list(stamps), utc=True)).tz_localize(None)
    if isinstance(offset, pd.offsets.Tick):
        start = pd.Timestamp(anchor).tz_localize(None) if anchor is not None else index.min()
        if start.tzinfo is not None:
            start = start.tz_convert("UTC").tz_localize(None)
        off = (index.asi8 - start.value) % offset.nanos != 0
    else:
        on_offset = _on_offset(index, offset)
        off = ~(on_offset & np.asarray(index == index.normalize()))
    return [int(i) for i in np.flatnonzero(off)]


def _on_offset(index: pd.DatetimeIndex, offset: pd.DateOffset) -> np.ndarray:
    """`offset.is_on_offset` for every stamp at once: a zero-step offset rolls a stamp forward
    to the grid, so the stamps it leaves alone are on it (one vectorized step instead of a
    Python call per stamp: an upload of 100,000 rows is checked at once)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
            return np.asarray((index + offset.base * 0) == index)
    except (TypeError, ValueError, NotImplementedError):
        return np.array([offset.is_on_offset(stamp) for stamp in index], dtype=bool)
