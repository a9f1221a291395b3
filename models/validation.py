"""Panel validation: check a long-format panel and say exactly which series and rows are wrong.

`validate_panel` never drops or repairs data; it returns a sorted, typed copy or raises
`PanelValidationError` listing every problem found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

__all__ = [
    "ID_COL",
    "REQUIRED_COLUMNS",
    "TIME_COL",
    "VALUE_COL",
    "PanelProblem",
    "PanelValidationError",
    "frequency_kind",
    "frequency_sample",
    "infer_freq",
    "merge_problems",
    "required_columns",
    "season_length_for",
    "series_starts",
    "validate_panel",
]

ID_COL, TIME_COL, VALUE_COL = "unique_id", "ds", "y"
REQUIRED_COLUMNS = (ID_COL, TIME_COL, VALUE_COL)
_MAX_LISTED = 10  # series / rows quoted in a message; the full lists stay on the problem


@dataclass(frozen=True)
class PanelProblem:
    """One kind of defect: which series and which rows (index labels of the input frame)."""

    kind: str
    message: str
    series: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    sample: list[dict] = field(default_factory=list)
    what: str = ""  # the message without the series and rows it names (see merge_problems)
    points: list[int] = field(default_factory=list)  # too_short: each series' number of points


class PanelValidationError(ValueError):
    """Raised when a panel is unusable; `.problems` holds every defect found."""

    def __init__(self, problems: list[PanelProblem]):
        self.problems = problems
        super().__init__("invalid panel: " + "; ".join(p.message for p in problems))


def _listed(values: list) -> str:
    shown = ", ".join(str(v) for v in values[:_MAX_LISTED])
    more = len(values) - _MAX_LISTED
    return shown + (f" (+{more} more)" if more > 0 else "")


def _problem(kind: str, what: str, frame: pd.DataFrame) -> PanelProblem:
    series = sorted({str(s) for s in frame[ID_COL]})
    rows = [int(i) for i in frame.index]
    sample = frame.head(3).astype(str).to_dict("records")
    return _rows_problem(kind, what, series, rows, sample)


def _rows_problem(
    kind: str, what: str, series: list[str], rows: list[int], sample: list[dict]
) -> PanelProblem:
    message = f"{what} in series {_listed(series)} at rows {_listed(rows)}"
    return PanelProblem(kind, message, series, rows, sample, what=what)


def _short_problem(what: str, series: list[str], points: list[int]) -> PanelProblem:
    shown = zip(series[:_MAX_LISTED], points[:_MAX_LISTED], strict=True)
    message = f"{what}: " + ", ".join(f"{s} ({n} points)" for s, n in shown)
    if len(series) > _MAX_LISTED:
        message += f" (+{len(series) - _MAX_LISTED} more)"
    return PanelProblem("too_short", message, series, [], what=what, points=points)


# The kinds `validate_panel` reports, in its order: it stops after the values' problems.
_VALUE_KINDS = (
    "missing_id", "bad_timestamp", "non_numeric", "missing_value", "infinite_value",
    "duplicate_timestamp",
)  # fmt: skip
_KIND_ORDER = (*_VALUE_KINDS, "off_grid", "gap", "too_short")


def merge_problems(parts: Iterable[Sequence[PanelProblem]]) -> list[PanelProblem]:
    """The problems `validate_panel` finds in a whole panel, from those it found in the
    panel's parts: each part a set of whole series, the parts in the panel's order, each part's
    index labels the whole panel's (its rows' positions there), validated with the same `freq`,
    `horizon` and `min_length`. A part with problems in its values hides the others' problems
    of the grid and lengths, as the whole panel's check stops at its values' problems.

    Series lists are sorted as the whole panel's; rows follow the parts' order (the panel's
    own when the database sorts names as Python sorts strings)."""
    found = [problem for part in parts for problem in part]
    if any(problem.kind in _VALUE_KINDS for problem in found):
        found = [problem for problem in found if problem.kind in _VALUE_KINDS]
    merged: dict[tuple[int, str], list[PanelProblem]] = {}
    for problem in found:
        rank = _KIND_ORDER.index(problem.kind) if problem.kind in _KIND_ORDER else len(_KIND_ORDER)
        merged.setdefault((rank, problem.what or problem.message), []).append(problem)
    # Within too_short, "(horizon ...)" sorts before "(min_length ...)", validate_panel's order.
    out = []
    for key in sorted(merged):
        same = merged[key]
        first = same[0]
        if len(same) == 1 or not first.what:
            out.append(first)
        elif first.kind == "too_short":
            pairs = sorted(
                (pair for p in same for pair in zip(p.series, p.points, strict=True)),
                key=lambda pair: pair[0],
            )
            out.append(_short_problem(first.what, [s for s, _ in pairs], [n for _, n in pairs]))
        else:
            series = sorted({s for p in same for s in p.series})
            rows = [row for p in same for row in p.rows]
            sample = [record for p in same for record in p.sample][:3]
            out.append(_rows_problem(first.kind, first.what, series, rows, sample))
    return out


_KINDS = {
    "MIN": "minute", "T": "minute",
    "H": "hour",
    "D": "day", "B": "day", "C": "day",
    "W": "week",
    "M": "month", "MS": "month", "ME": "month", "BM": "month", "BMS": "month", "BME": "month",
    "SM": "semimonth", "SMS": "semimonth", "SME": "semimonth",
    "Q": "quarter", "QS": "quarter", "QE": "quarter", "BQ": "quarter", "BQS": "quarter",
    "BQE": "quarter",
    "Y": "year", "YS": "year", "YE": "year", "A": "year", "AS": "year", "BY": "year",
    "BYS": "year", "BYE": "year",
}  # fmt: skip
_CYCLE = {"minute": 60, "hour": 24, "day": 7, "week": 52, "semimonth": 24, "month": 12}
_CYCLE |= {"quarter": 4, "year": 1}


def frequency_kind(freq: str | pd.DateOffset) -> str:
    """Calendar unit of a pandas frequency: minute, hour, day, week, month, quarter or year."""
    name = to_offset(freq).name.split("-")[0].upper()
    letters = "".join(ch for ch in name if ch.isalpha())
    if letters not in _KINDS:
        raise ValueError(f"unsupported frequency {freq!r}")
    return _KINDS[letters]


def season_length_for(freq: str | pd.DateOffset) -> int:
    """Periods in one seasonal cycle: hourly 24, daily 7, weekly 52, monthly 12, quarterly 4, ...

    Multiples divide the cycle when they can (2h -> 12) and otherwise give 1 (no seasonality).
    """
    cycle = _CYCLE[frequency_kind(freq)]
    n = max(abs(int(getattr(to_offset(freq), "n", 1))), 1)
    return cycle // n if cycle % n == 0 else 1


_FREQUENCY_SAMPLE = 20  # the longest series `infer_freq` infers from


def frequency_sample(lengths: pd.Series) -> list:
    """The series `infer_freq` infers a panel's frequency from, given each series' number of
    rows (indexed by series, in the panel's order): the 20 longest, ties as `value_counts`
    orders them."""
    return lengths.sort_values(ascending=False).index[:_FREQUENCY_SAMPLE].tolist()


def infer_freq(df: pd.DataFrame) -> str:
    """Most common frequency inferred over the longest series (pandas aliases, e.g. 'MS', 'h').
    The panel of `frequency_sample`'s series alone gives the same frequency."""
    ds = pd.to_datetime(df[TIME_COL])
    ids = df[ID_COL]
    guesses: list[str] = []
    for uid in frequency_sample(ids.value_counts(sort=False)):
        stamps = pd.DatetimeIndex(ds[ids == uid]).sort_values().unique()
        if len(stamps) >= 3:
            guess = pd.infer_freq(stamps)
            if guess is not None:
                guesses.append(guess)
    if not guesses:
        raise PanelValidationError(
            [
                PanelProblem(
                    "irregular_frequency",
                    "cannot infer a regular frequency from the timestamps (need at least 3 "
                    "evenly spaced points per series); pass freq explicitly",
                )
            ]
        )
    return pd.Series(guesses).mode().iloc[0]


def _check_values(df: pd.DataFrame, raw: pd.DataFrame) -> list[PanelProblem]:
    problems = []
    if raw[ID_COL].isna().any():
        problems.append(_problem("missing_id", "missing unique_id", raw[raw[ID_COL].isna()]))
    bad_ds = df[TIME_COL].isna()
    if bad_ds.any():
        problems.append(_problem("bad_timestamp", "missing or unparseable ds", raw[bad_ds]))
    non_numeric = df[VALUE_COL].isna() & raw[VALUE_COL].notna()
    if non_numeric.any():
        problems.append(_problem("non_numeric", "non-numeric y", raw[non_numeric]))
    missing = raw[VALUE_COL].isna()
    if missing.any():
        problems.append(_problem("missing_value", "missing (NaN) y", raw[missing]))
    infinite = np.isinf(df[VALUE_COL].to_numpy(dtype=float, na_value=np.nan))
    if infinite.any():
        problems.append(_problem("infinite_value", "infinite y", raw[infinite]))
    return problems


def _sort_order(typed: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Positions that sort by (unique_id, ds), with the sorted series codes and int64 stamps;
    None for the positions of a panel already in that order without duplicates (a database
    read), which is neither sorted nor copied again."""
    codes, _ = pd.factorize(typed[ID_COL], sort=True)
    stamps = typed[TIME_COL].to_numpy(dtype="datetime64[ns]").view(np.int64)
    if _strictly_in_order(codes, stamps):
        return None, codes, stamps
    order = np.lexsort((stamps, codes))
    return order, codes[order], stamps[order]


def _strictly_in_order(codes: np.ndarray, stamps: np.ndarray) -> bool:
    """Whether every row follows the one before it: a later series, or the same series later."""
    later_series = codes[1:] > codes[:-1]
    if not (later_series | (codes[1:] == codes[:-1])).all():
        return False
    return bool((later_series | (stamps[1:] > stamps[:-1])).all())


def _adjacent_duplicates(codes: np.ndarray, stamps: np.ndarray) -> np.ndarray:
    """Mask (in sorted order) of rows sharing series and timestamp with a neighbour."""
    same = (codes[1:] == codes[:-1]) & (stamps[1:] == stamps[:-1])
    mask = np.zeros(len(codes), dtype=bool)
    mask[1:] |= same
    mask[:-1] |= same
    return mask


def series_starts(ids: np.ndarray) -> np.ndarray:
    """A mask over the rows of a panel sorted by series: True where a series begins."""
    starts = np.ones(len(ids), dtype=bool)
    starts[1:] = ids[1:] != ids[:-1]
    return starts


def _series_first_rows(codes: np.ndarray) -> np.ndarray:
    """For each row of a sorted panel, the position of its series' first row."""
    positions = np.arange(len(codes))
    return np.maximum.accumulate(np.where(series_starts(codes), positions, 0))


def _tick_grid(codes: np.ndarray, stamps: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Off-grid and after-a-gap masks (sorted order) for fixed-length frequencies."""
    off_grid = (stamps - stamps[_series_first_rows(codes)]) % step != 0
    on = np.flatnonzero(~off_grid)
    on_codes, on_stamps = codes[on], stamps[on]
    jumps = (on_codes[1:] == on_codes[:-1]) & (on_stamps[1:] - on_stamps[:-1] > step)
    after_gap = np.zeros(len(codes), dtype=bool)
    after_gap[on[1:][jumps]] = True
    return off_grid, after_gap


_DAY_NANOS = 86_400 * 10**9


def _has_fixed_dates(offset: pd.DateOffset) -> bool:
    """Whether the offset's dates are the same whatever a range starts on (every month start,
    every Sunday, every business day), so that one date range serves every series. Multiples
    (2MS), plain relative offsets and weeks without a weekday count from their start."""
    if offset.n != 1 or type(offset) is pd.DateOffset:
        return False
    return not (isinstance(offset, pd.offsets.Week) and offset.weekday is None)


def _one_time_of_day(stamps: np.ndarray) -> bool:
    """Every timestamp at the same time of day (a date range keeps its start's time)."""
    times = stamps % _DAY_NANOS
    return bool((times == times[0]).all())


def _calendar_grid(
    codes: np.ndarray, stamps: np.ndarray, offset: pd.DateOffset
) -> tuple[np.ndarray, np.ndarray]:
    """Off-grid and after-a-gap masks (sorted order) for calendar frequencies with fixed dates,
    from one date range over the whole panel: what a date range per series would give."""
    grid = pd.date_range(pd.Timestamp(stamps.min()), pd.Timestamp(stamps.max()), freq=offset)
    grid_stamps = grid.asi8
    slots = np.searchsorted(grid_stamps, stamps)
    on = grid_stamps[np.minimum(slots, len(grid_stamps) - 1)] == stamps if len(grid) else slots < 0
    # A series starting off the grid has no grid of its own.
    off_grid = ~on | ~on[_series_first_rows(codes)]
    kept = np.flatnonzero(~off_grid)
    jumps = (codes[kept][1:] == codes[kept][:-1]) & (np.diff(slots[kept]) > 1)
    after_gap = np.zeros(len(codes), dtype=bool)
    after_gap[kept[1:][jumps]] = True
    return off_grid, after_gap


def _series_grids(df: pd.DataFrame, offset: pd.DateOffset) -> tuple[list, list]:
    """Off-grid and after-a-gap index labels from a date range per series, starting at its
    first timestamp (any offset; `_calendar_grid` does the same at once for fixed dates)."""
    off_grid, gap_rows = [], []
    for _, stamps_of_series in df.groupby(ID_COL, sort=False)[TIME_COL]:
        grid = pd.date_range(stamps_of_series.iloc[0], stamps_of_series.iloc[-1], freq=offset)
        if len(grid) == 0 or grid[0] != stamps_of_series.iloc[0]:
            off_grid.extend(stamps_of_series.index.tolist())
            continue
        outside = ~stamps_of_series.isin(grid)
        off_grid.extend(stamps_of_series.index[outside].tolist())
        if len(grid) != int((~outside).sum()):
            present = stamps_of_series[~outside]
            positions = grid.get_indexer(present)
            gap_rows.extend(present.index[1:][np.diff(positions) > 1].tolist())
    return off_grid, gap_rows


def _check_grid(
    df: pd.DataFrame, freq: str, raw: pd.DataFrame, codes: np.ndarray, stamps: np.ndarray
) -> list[PanelProblem]:
    """Off-grid timestamps and gaps, per series, against the series' first timestamp.

    `df` is sorted by (unique_id, ds) and keeps the input's index labels; `codes` / `stamps`
    are its series codes and int64 timestamps in the same order.
    """
    offset = to_offset(freq)
    if isinstance(offset, pd.offsets.Tick):
        masks = _tick_grid(codes, stamps, offset.nanos)
    elif _has_fixed_dates(offset) and _one_time_of_day(stamps):
        masks = _calendar_grid(codes, stamps, offset)
    else:
        masks = None
    if masks is None:
        off_grid, gap_rows = _series_grids(df, offset)
    else:
        off_grid, gap_rows = df.index[masks[0]].tolist(), df.index[masks[1]].tolist()
    problems = []
    if off_grid:
        problems.append(_problem("off_grid", f"timestamps off the {freq} grid", raw.loc[off_grid]))
    if gap_rows:
        what = f"gaps in the {freq} grid (missing periods just before)"
        problems.append(_problem("gap", what, raw.loc[gap_rows]))
    return problems


def _check_lengths(df: pd.DataFrame, needed: int, reason: str) -> list[PanelProblem]:
    lengths = df.groupby(ID_COL, sort=False).size()
    short = lengths[lengths < needed]
    if short.empty:
        return []
    what = f"series too short ({reason}, need at least {needed} points)"
    return [_short_problem(what, [str(s) for s in short.index], [int(n) for n in short])]


def required_columns(panel: pd.DataFrame) -> pd.DataFrame:
    """`panel[REQUIRED_COLUMNS]`; a panel with exactly those columns is returned as it is,
    not copied (a forecast reads the history, it never writes to it)."""
    if list(panel.columns) == list(REQUIRED_COLUMNS):
        return panel
    return panel[list(REQUIRED_COLUMNS)]


def _all_strings(column: pd.Series) -> bool:
    """Whether every value of `column` is a `str` already (then `astype(str)` would only copy)."""
    return column.dtype == object and pd.api.types.infer_dtype(column, skipna=False) == "string"


def _naive_datetimes(column: pd.Series) -> bool:
    """Whether `column` holds timestamps without a time zone already (`datetime64`)."""
    return isinstance(column.dtype, np.dtype) and column.dtype.kind == "M"


def validate_panel(
    df: pd.DataFrame,
    *,
    horizon: int | None = None,
    freq: str | None = None,
    min_length: int | None = None,
    copy: bool = True,
) -> pd.DataFrame:
    """Validate a long-format panel and return a sorted, typed copy.

    The copy has `unique_id` as str, `ds` as datetime64, `y` as float64, sorted by series then
    time, with a fresh RangeIndex; extra (exogenous) columns are kept as they are. With `horizon`,
    every series needs more than `horizon` points; with `min_length`, at least that many.
    Row numbers in error messages are index labels of the frame passed in.

    `copy=False` is for a caller that lets `df` go afterwards (a large history read to be
    forecast): a column already of its type and a panel already in order are not copied, so
    the result may share `df`'s arrays; neither may then be changed in place.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        message = f"missing columns {missing} (found {list(df.columns)})"
        raise PanelValidationError([PanelProblem("missing_columns", message)])
    if df.empty:
        raise PanelValidationError([PanelProblem("empty", "the panel has no rows")])
    raw = df.reset_index(drop=True) if not df.index.is_unique else df
    # Without `copy`, a new frame over the same arrays, and a column already of its type is
    # left alone (assigning a column copies it, even the same values).
    typed = raw.copy(deep=copy)
    if copy or not _all_strings(typed[ID_COL]):
        typed[ID_COL] = typed[ID_COL].astype(str)
    if copy or not _naive_datetimes(typed[TIME_COL]):
        typed[TIME_COL] = pd.to_datetime(typed[TIME_COL], errors="coerce")
        if getattr(typed[TIME_COL].dt, "tz", None) is not None:
            typed[TIME_COL] = typed[TIME_COL].dt.tz_convert(None)
    if copy or typed[VALUE_COL].dtype != np.float64:
        typed[VALUE_COL] = pd.to_numeric(typed[VALUE_COL], errors="coerce").astype("float64")

    problems = _check_values(typed, raw)
    order, codes, stamps = _sort_order(typed)
    duplicated = _adjacent_duplicates(codes, stamps) & (stamps != np.iinfo(np.int64).min)  # NaT
    if duplicated.any():
        rows = raw.iloc[np.sort(order[duplicated])]
        problems.append(_problem("duplicate_timestamp", "duplicate ds", rows))
    if problems:
        raise PanelValidationError(problems)

    if order is not None:
        typed = typed.iloc[order]
    resolved_freq = freq or infer_freq(typed)
    problems = _check_grid(typed, resolved_freq, raw, codes, stamps)
    if horizon is not None:
        problems += _check_lengths(typed, horizon + 1, f"horizon {horizon}")
    if min_length is not None:
        problems += _check_lengths(typed, min_length, "min_length")
    if problems:
        raise PanelValidationError(problems)
    typed.index = pd.RangeIndex(len(typed))  # in place: reset_index would copy every column
    return typed
