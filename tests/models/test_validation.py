"""validate_panel: typed sorted copies, and errors that name the series and rows at fault."""

from __future__ import annotations

import tracemalloc
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from models.validation import (
    PanelValidationError,
    frequency_kind,
    frequency_sample,
    infer_freq,
    merge_problems,
    season_length_for,
    series_starts,
    validate_panel,
)


def _panel(ids=("a", "b"), periods=6, freq="MS") -> pd.DataFrame:
    dates = pd.date_range("2020-01-01", periods=periods, freq=freq)
    return pd.DataFrame(
        {
            "unique_id": np.repeat(ids, periods),
            "ds": np.tile(dates, len(ids)),
            "y": np.arange(periods * len(ids), dtype=float),
        }
    )


def _problem(error: pytest.ExceptionInfo, kind: str):
    matches = [p for p in error.value.problems if p.kind == kind]
    assert matches, f"no {kind} problem in {error.value.problems}"
    return matches[0]


def test_returns_sorted_typed_copy_without_touching_input():
    raw = _panel().sample(frac=1.0, random_state=0)
    raw = raw.assign(ds=raw["ds"].dt.strftime("%Y-%m-%d"), y=raw["y"].astype(int))
    before = raw.copy()
    panel = validate_panel(raw)
    pd.testing.assert_frame_equal(raw, before)
    assert panel["ds"].dtype == "datetime64[ns]"
    assert panel["y"].dtype == "float64"
    assert list(panel.index) == list(range(len(raw)))
    assert panel.equals(panel.sort_values(["unique_id", "ds"]).reset_index(drop=True))
    assert len(panel) == len(raw)


def test_numeric_ids_become_strings():
    raw = _panel(ids=(1, 2))
    assert sorted(validate_panel(raw)["unique_id"].unique()) == ["1", "2"]


def test_missing_columns_are_named():
    with pytest.raises(PanelValidationError, match=r"missing columns \['y'\]") as error:
        validate_panel(_panel().drop(columns="y"))
    assert error.value.problems[0].kind == "missing_columns"


@pytest.mark.parametrize(
    ("bad_value", "kind", "text"),
    [("abc", "non_numeric", "non-numeric y"), (np.nan, "missing_value", "missing (NaN) y"),
     (np.inf, "infinite_value", "infinite y")],
)  # fmt: skip
def test_bad_values_name_series_and_row(bad_value, kind, text):
    raw = _panel().astype({"y": object})
    raw.loc[8, "y"] = bad_value
    with pytest.raises(PanelValidationError) as error:
        validate_panel(raw)
    problem = _problem(error, kind)
    assert problem.series == ["b"]
    assert problem.rows == [8]
    assert (
        text in str(error.value) and "series b" in str(error.value) and "rows 8" in str(error.value)
    )


def test_unparseable_timestamp_is_reported():
    raw = _panel().astype({"ds": object})
    raw.loc[2, "ds"] = "not a date"
    with pytest.raises(PanelValidationError) as error:
        validate_panel(raw, freq="MS")
    assert _problem(error, "bad_timestamp").rows == [2]


def test_duplicate_timestamps_list_both_rows():
    raw = pd.concat([_panel(), _panel().iloc[[3]]], ignore_index=True)
    with pytest.raises(PanelValidationError, match="duplicate ds") as error:
        validate_panel(raw)
    problem = _problem(error, "duplicate_timestamp")
    assert problem.series == ["a"]
    assert problem.rows == [3, 12]


def test_duplicate_timestamps_of_a_panel_already_in_order_list_both_rows():
    panel = _panel()
    raw = pd.concat([panel.iloc[:4], panel.iloc[[3]], panel.iloc[4:]], ignore_index=True)
    with pytest.raises(PanelValidationError, match="duplicate ds") as error:
        validate_panel(raw)
    assert _problem(error, "duplicate_timestamp").rows == [3, 4]


def test_a_panel_already_in_order_comes_back_as_a_copy_with_a_fresh_index():
    raw = _panel().set_axis(range(100, 112))
    before = raw.copy()
    panel = validate_panel(raw)
    assert list(panel.index) == list(range(12))
    pd.testing.assert_frame_equal(panel, before.reset_index(drop=True))
    panel.loc[0, "y"] = -1.0
    pd.testing.assert_frame_equal(raw, before)


def test_gap_in_monthly_series_names_the_row_after_it():
    raw = _panel(periods=8).drop(index=[10])  # series b loses its third month
    with pytest.raises(PanelValidationError, match="gaps in the MS grid") as error:
        validate_panel(raw, freq="MS")
    problem = _problem(error, "gap")
    assert problem.series == ["b"]
    assert problem.rows == [11]


def test_off_grid_hourly_timestamp():
    raw = _panel(periods=10, freq="h")
    raw.loc[4, "ds"] += pd.Timedelta(minutes=30)
    with pytest.raises(PanelValidationError, match="off the h grid") as error:
        validate_panel(raw, freq="h")
    assert _problem(error, "off_grid").rows == [4]


def test_off_grid_monthly_timestamp():
    raw = _panel()
    raw.loc[7, "ds"] = pd.Timestamp("2020-02-15")
    with pytest.raises(PanelValidationError) as error:
        validate_panel(raw, freq="MS")
    assert _problem(error, "off_grid").rows == [7]


def test_series_too_short_for_horizon():
    raw = pd.concat([_panel(ids=("long",), periods=10), _panel(ids=("short",), periods=3)])
    with pytest.raises(PanelValidationError, match=r"short \(3 points\)") as error:
        validate_panel(raw, horizon=4)
    assert _problem(error, "too_short").series == ["short"]
    assert len(validate_panel(raw, horizon=2)) == len(raw)


def test_min_length():
    with pytest.raises(PanelValidationError, match="min_length"):
        validate_panel(_panel(periods=5), min_length=6)


def test_every_problem_is_reported_at_once():
    raw = pd.concat([_panel(), _panel().iloc[[4]]], ignore_index=True).astype({"y": object})
    raw.loc[1, "y"] = "x"
    raw.loc[9, "y"] = np.inf
    with pytest.raises(PanelValidationError) as error:
        validate_panel(raw)
    kinds = {p.kind for p in error.value.problems}
    assert kinds == {"non_numeric", "infinite_value", "duplicate_timestamp"}


@pytest.mark.parametrize(
    ("freq", "expected", "season"),
    [("h", "h", 24), ("D", "D", 7), ("MS", "MS", 12), ("QS", "QS-OCT", 4), ("YS", "YS-JAN", 1),
     ("W-SUN", "W-SUN", 52)],
)  # fmt: skip
def test_infer_freq_and_season_length(freq, expected, season):
    panel = _panel(periods=12, freq=freq)
    inferred = infer_freq(panel)
    assert inferred == expected  # pandas spells Jan/Apr/Jul/Oct quarter starts QS-OCT
    assert season_length_for(inferred) == season


def test_infer_freq_fails_clearly_on_irregular_stamps():
    raw = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-05"]),
            "y": 1.0,
        }
    )
    with pytest.raises(PanelValidationError, match="pass freq explicitly"):
        infer_freq(raw)


def test_multiples_and_unknown_frequencies():
    assert season_length_for("2h") == 12
    assert season_length_for("5h") == 1
    assert frequency_kind("QE-DEC") == "quarter"
    with pytest.raises(ValueError, match="unsupported frequency"):
        frequency_kind("us")


def _messy_panel(freq: str, seed: int, times_of_day=("00:00",)) -> pd.DataFrame:
    """Series on the grid, starting off it, with gaps, with a stamp between grid dates."""
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(12):
        start = pd.Timestamp("2019-01-01") + pd.Timedelta(days=int(rng.integers(0, 400)))
        start = start.normalize() + pd.Timedelta(times_of_day[i % len(times_of_day)] + ":00")
        dates = pd.date_range(start, periods=int(rng.integers(1, 15)), freq=freq)
        if len(dates) > 3 and rng.random() < 0.5:  # a gap
            dates = dates.delete(int(rng.integers(1, len(dates) - 1)))
        stamps = dates.to_series().reset_index(drop=True)
        if len(stamps) > 2 and rng.random() < 0.3:  # one stamp between grid dates
            stamps.iloc[-1] = stamps.iloc[-2] + pd.Timedelta(days=1)
        if rng.random() < 0.2:  # a series that starts between grid dates
            stamps.iloc[0] = stamps.iloc[0] - pd.Timedelta(days=1)
        parts.append(pd.DataFrame({"unique_id": f"s{i}", "ds": stamps.drop_duplicates()}))
    panel = pd.concat(parts, ignore_index=True)
    return panel.assign(y=1.0).sort_values(["unique_id", "ds"])


@pytest.mark.parametrize("freq", ["MS", "ME", "QS", "QS-FEB", "YS", "W-SUN", "W-WED", "B"])
@pytest.mark.parametrize("seed", range(6))
def test_one_date_range_for_the_panel_flags_what_a_range_per_series_flags(freq, seed):
    from pandas.tseries.frequencies import to_offset

    from models.validation import _calendar_grid, _has_fixed_dates, _series_grids

    offset = to_offset(freq)
    assert _has_fixed_dates(offset)
    panel = _messy_panel(freq, seed)
    codes, _ = pd.factorize(panel["unique_id"], sort=True)
    stamps = panel["ds"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    off_mask, gap_mask = _calendar_grid(codes, stamps, offset)
    off_grid, gaps = _series_grids(panel, offset)
    assert panel.index[off_mask].tolist() == off_grid
    assert panel.index[gap_mask].tolist() == gaps
    if seed == 0:  # the panels do hold problems to find
        assert off_grid or gaps


def test_multiples_count_from_each_series_start():
    """Two 2-monthly series in other phases are each on their own grid."""
    from pandas.tseries.frequencies import to_offset

    from models.validation import _has_fixed_dates

    assert not _has_fixed_dates(to_offset("2MS"))
    odd = pd.date_range("2020-01-01", periods=5, freq="2MS")
    even = pd.date_range("2020-02-01", periods=5, freq="2MS")
    panel = pd.DataFrame(
        {"unique_id": ["odd"] * 5 + ["even"] * 5, "ds": odd.append(even), "y": 1.0}
    )
    assert len(validate_panel(panel, freq="2MS")) == 10


def test_series_at_other_times_of_day_are_each_on_their_own_grid():
    panel = pd.concat(
        [
            _panel(ids=("midnight",)),
            _panel(ids=("noon",)).assign(ds=lambda f: f["ds"] + pd.Timedelta(hours=12)),
        ]
    )
    assert len(validate_panel(panel, freq="MS")) == 12
    panel.iloc[-1, panel.columns.get_loc("ds")] += pd.Timedelta(days=3)
    with pytest.raises(PanelValidationError) as error:
        validate_panel(panel, freq="MS")
    assert _problem(error, "off_grid").series == ["noon"]


def test_required_columns_copies_only_what_has_other_columns():
    from models.validation import required_columns

    panel = validate_panel(_panel())
    assert required_columns(panel) is panel  # a forecast reads it: no copy
    with_extra = panel.assign(price=1.0)
    subset = required_columns(with_extra)
    assert list(subset.columns) == ["unique_id", "ds", "y"] and "price" in with_extra


def test_series_starts_marks_the_first_row_of_each_series_of_a_sorted_panel():
    ids = np.array(["a", "a", "b", "c", "c", "c"])
    assert series_starts(ids).tolist() == [True, False, True, True, False, False]
    assert series_starts(np.array([], dtype=object)).tolist() == []


def _traced_peak(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_panel_already_in_order_is_copied_once_not_twice():
    """A panel already in order (a database read) is neither sorted nor reordered: its
    validation peaks more than a whole frame below that of the same rows shuffled (the sort
    positions, the sorted keys and the reordered copy), and gives the same result."""
    n_series, length = 200, 1_000
    ids = np.repeat([f"s{i:04d}" for i in range(n_series)], length)
    ds = np.tile(pd.date_range("2020-01-01", periods=length, freq="D").to_numpy(), n_series)
    values = np.random.default_rng(0).random(len(ids))
    in_order = pd.DataFrame({"unique_id": ids, "ds": ds, "y": values})
    shuffled = in_order.sample(frac=1, random_state=0)
    frame_bytes = in_order.memory_usage(index=False).sum()

    for frame in (in_order, shuffled):  # the first call's one-time allocations, not counted
        validate_panel(frame, freq="D")
    sorted_peak = _traced_peak(lambda: validate_panel(in_order, freq="D"))
    shuffled_peak = _traced_peak(lambda: validate_panel(shuffled, freq="D"))
    assert sorted_peak <= shuffled_peak - 0.8 * frame_bytes
    checked = validate_panel(in_order, freq="D")
    pd.testing.assert_frame_equal(checked, validate_panel(shuffled, freq="D"))
    assert not np.shares_memory(checked["y"].to_numpy(), in_order["y"].to_numpy())


def test_without_copy_a_typed_panel_in_order_keeps_its_arrays():
    """`copy=False` (a history read to be forecast, let go right after): a panel already of
    its types and in order is checked as it is, sharing its arrays, and the result equals the
    copy's."""
    n_series, length = 200, 1_000
    ids = np.repeat([f"s{i:04d}" for i in range(n_series)], length).astype(object)
    ds = np.tile(pd.date_range("2020-01-01", periods=length, freq="D").to_numpy(), n_series)
    values = np.random.default_rng(0).random(len(ids))
    panel = pd.DataFrame({"unique_id": ids, "ds": ds, "y": values})
    frame_bytes = panel.memory_usage(index=False).sum()

    kept = validate_panel(panel, freq="D", copy=False)
    pd.testing.assert_frame_equal(kept, validate_panel(panel, freq="D"))
    for column in ("unique_id", "ds", "y"):
        assert np.shares_memory(kept[column].to_numpy(), panel[column].to_numpy()), column
    copied_peak = _traced_peak(lambda: validate_panel(panel, freq="D"))
    kept_peak = _traced_peak(lambda: validate_panel(panel, freq="D", copy=False))
    assert kept_peak <= copied_peak - 0.8 * frame_bytes


def test_without_copy_what_needs_a_change_is_changed_in_a_copy():
    """`copy=False` copies what it has to type or reorder, and never changes the frame passed."""
    panel = pd.DataFrame(
        {
            "unique_id": [2, 2, 1, 1],
            "ds": ["2020-01-02", "2020-01-01", "2020-01-01", "2020-01-02"],
            "y": [4, 3, 1, 2],
        }
    )
    before = panel.copy()
    checked = validate_panel(panel, freq="D", copy=False)
    pd.testing.assert_frame_equal(panel, before)
    pd.testing.assert_frame_equal(checked, validate_panel(panel, freq="D"))
    assert checked["unique_id"].tolist() == ["1", "1", "2", "2"]
    assert checked["y"].tolist() == [1.0, 2.0, 3.0, 4.0]
    mixed = pd.DataFrame({"unique_id": ["a", 1], "ds": ["2020-01-01"] * 2, "y": [1.0, 2.0]})
    assert validate_panel(mixed, freq="D", copy=False)["unique_id"].tolist() == ["1", "a"]


def _problems_of(panel: pd.DataFrame, **options) -> list:
    try:
        validate_panel(panel, **options)
    except PanelValidationError as error:
        return error.problems
    return []


def _in_parts(panel: pd.DataFrame, cuts: list[int], **options) -> list:
    """The problems of each part (whole series, between the series indices in `cuts`) with
    the whole panel's row labels, merged."""
    names = panel["unique_id"].unique()
    edges = [0, *cuts, len(names)]
    parts = [panel[panel["unique_id"].isin(names[a:b])] for a, b in pairwise(edges)]
    return merge_problems(_problems_of(part, **options) for part in parts)


def _many_problems() -> pd.DataFrame:
    """26 monthly series of 12 points, some of them with a gap, a point off the grid,
    or too short (more than ten of each, so that messages say `(+n more)`)."""
    names = [f"s{n:02d}" for n in range(26)]
    panel = _panel(ids=tuple(names), periods=12)
    gaps = panel[(panel["unique_id"].isin(names[::2])) & (panel["ds"] == "2020-05-01")].index
    off = panel[(panel["unique_id"].isin(names[1::2])) & (panel["ds"] == "2020-07-01")].index
    panel.loc[off, "ds"] = pd.Timestamp("2020-07-15")
    short = panel[panel["unique_id"].isin(names[:14]) & (panel["ds"] > "2020-08-01")].index
    return panel.drop(gaps.union(short)).reset_index(drop=True)


@pytest.mark.parametrize("cuts", [[1], [3, 4, 12], list(range(1, 26))])
def test_problems_of_parts_merge_into_the_whole_panels(cuts):
    panel = _many_problems()
    options = {"freq": "MS", "min_length": 10, "horizon": 9}
    whole = _problems_of(panel, **options)
    assert [p.kind for p in whole] == ["off_grid", "gap", "too_short", "too_short"]
    assert "more" in whole[0].message and "more" in whole[2].message
    assert _in_parts(panel, cuts, **options) == whole


def test_problems_in_the_values_of_one_part_hide_the_others_grid_problems():
    panel = _many_problems()
    panel.loc[panel.index[-1], "y"] = np.inf  # the last series only
    panel.loc[panel.index[-2], "y"] = np.nan
    whole = _problems_of(panel, freq="MS", min_length=10)
    assert [p.kind for p in whole] == ["missing_value", "infinite_value"]
    assert _in_parts(panel, [5, 25], freq="MS", min_length=10) == whole


def test_the_frequency_sample_is_what_infer_freq_reads():
    panel = _panel(ids=tuple(f"s{n:02d}" for n in range(30)), periods=8, freq="D")
    longer = _panel(ids=("zz",), periods=12, freq="D")
    odd = _panel(ids=("odd",), periods=9, freq="h")
    panel = pd.concat([panel, longer, odd], ignore_index=True)
    sample = frequency_sample(panel["unique_id"].value_counts(sort=False))
    assert sample[:2] == ["zz", "odd"] and len(sample) == 20
    assert sample == panel["unique_id"].value_counts().index[:20].tolist()
    assert infer_freq(panel[panel["unique_id"].isin(sample)]) == infer_freq(panel) == "D"


def test_short_series_are_listed_by_name_whatever_the_parts_order():
    # a database sorting names otherwise than Python (its collation) hands parts so
    panel = _panel(ids=tuple(f"s{n:02d}" for n in range(12)), periods=4)
    whole = _problems_of(panel, min_length=5)
    parts = [panel[panel["unique_id"] >= "s06"], panel[panel["unique_id"] < "s06"]]
    assert merge_problems(_problems_of(part, min_length=5) for part in parts) == whole
