"""Drift and staleness against values computed by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from models.drift import drift_statistics, periods_between, stale_series


def _panel(values_by_series):
    rows = []
    for unique_id, values in values_by_series.items():
        days = pd.date_range("2026-01-01", periods=len(values), freq="D")
        rows += [(unique_id, ds, float(v)) for ds, v in zip(days, values, strict=True)]
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


def test_level_shift_and_spread_by_hand():
    # Reference 1, 2, 3: mean 2, std (ddof 1) 1. Recent 5, 7: mean 6, std sqrt(2).
    stats = drift_statistics(
        _panel({"a": [1, 2, 3, 5, 7]}), window=2, level_threshold=3.0, spread_threshold=2.0
    ).set_index("unique_id")
    assert stats.loc["a", "level_shift"] == pytest.approx(4.0)
    assert stats.loc["a", "spread_ratio"] == pytest.approx(math.sqrt(2))
    assert bool(stats.loc["a", "drifted"])  # |4| > 3


def test_the_reference_is_bounded_when_asked():
    # Long ago at 100, lately 1, 2, 3 then 5, 7: against all history the recent mean is low;
    # against the last three observations before the window it is the same 4-sigma shift.
    values = [100] * 10 + [1, 2, 3, 5, 7]
    bounded = drift_statistics(
        _panel({"a": values}), window=2, level_threshold=3.0, spread_threshold=2.0,
        reference_length=3,
    )  # fmt: skip
    unbounded = drift_statistics(
        _panel({"a": values}), window=2, level_threshold=3.0, spread_threshold=2.0
    )
    assert bounded["level_shift"].iloc[0] == pytest.approx(4.0)
    assert unbounded["level_shift"].iloc[0] < 0


def test_steady_series_does_not_drift():
    stats = drift_statistics(
        _panel({"a": [1, 3, 1, 3, 1, 3]}), window=2, level_threshold=3.0, spread_threshold=2.0
    )
    assert stats["level_shift"].iloc[0] == pytest.approx(0.0)
    assert not stats["drifted"].iloc[0]


def test_spread_change_alone_is_drift():
    # Reference 1, 3, 1, 3: std 2/sqrt(3); recent 2, 2.1: tiny spread, same level.
    stats = drift_statistics(
        _panel({"a": [1, 3, 1, 3, 1.95, 2.05]}), window=2, level_threshold=3.0,
        spread_threshold=2.0,
    )  # fmt: skip
    assert stats["spread_ratio"].iloc[0] < 0.5 and stats["drifted"].iloc[0]


def test_flat_or_short_reference_is_undefined_not_drifted():
    stats = drift_statistics(
        _panel({"flat": [2, 2, 2, 9], "short": [1, 2]}), window=1, level_threshold=1.0,
        spread_threshold=2.0,
    ).set_index("unique_id")  # fmt: skip
    assert math.isnan(stats.loc["flat", "level_shift"])
    assert math.isnan(stats.loc["short", "level_shift"])
    assert not stats["drifted"].any()


def test_periods_between_counts_whole_periods():
    assert periods_between(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-07-01"), "QS") == 2
    assert periods_between(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-08"), "D") == 7
    assert periods_between(pd.Timestamp("2026-02-01"), pd.Timestamp("2026-01-01"), "D") == 0


def test_stale_after_n_periods():
    last = pd.Series({"fresh": pd.Timestamp("2026-01-09"), "old": pd.Timestamp("2026-01-06")})
    stale = stale_series(
        last, reference=pd.Timestamp("2026-01-10"), freq="D", stale_periods=3
    ).set_index("unique_id")
    assert stale.loc["fresh", "periods_since_last"] == 1 and not stale.loc["fresh", "stale"]
    assert stale.loc["old", "periods_since_last"] == 4 and stale.loc["old", "stale"]


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="window"):
        drift_statistics(_panel({"a": [1, 2]}), window=0, level_threshold=1, spread_threshold=2)
    with pytest.raises(ValueError, match="stale_periods"):
        stale_series(pd.Series(dtype=object), reference=pd.Timestamp(0), freq="D", stale_periods=0)
