"""Rolling-origin windows, cutoffs and alignment with actuals."""

from __future__ import annotations

import pandas as pd
import pytest

from models.backtest import (
    backtest,
    calibration_subset,
    holdout,
    sample_series,
    split_windows,
)
from models.baselines import SeasonalNaiveForecaster
from models.datasets import synthetic_panel
from models.validation import PanelValidationError


def _panel() -> pd.DataFrame:
    long = synthetic_panel(1, 20, "D", seed=1)
    short = synthetic_panel(1, 15, "D", seed=2).assign(unique_id="short")
    return pd.concat([long, short], ignore_index=True)


def test_windows_step_back_from_each_series_end():
    panel = _panel()
    windows = list(split_windows(panel, h=3, n_windows=3, step=2))
    assert [w for w, _, _ in windows] == [2, 1, 0]
    last_ds = panel.groupby("unique_id")["ds"].max()
    for window, train, test in windows:
        assert test.groupby("unique_id").size().tolist() == [3, 3]
        expected_cutoff = last_ds - pd.Timedelta(days=3 + 2 * window)
        assert test.groupby("unique_id")["cutoff"].first().equals(expected_cutoff)
        assert train.groupby("unique_id")["ds"].max().equals(expected_cutoff)


def test_too_short_series_are_named():
    with pytest.raises(PanelValidationError, match=r"need 16 points\): \['short'\]"):
        list(split_windows(_panel(), h=7, n_windows=2, step=7))


def test_backtest_aligns_forecasts_with_actuals():
    panel = _panel()
    result = backtest(lambda: SeasonalNaiveForecaster("D", 7), panel, h=3, n_windows=2, levels=[80])
    assert len(result) == 2 * 2 * 3
    assert list(result.columns[:5]) == ["unique_id", "ds", "cutoff", "window", "y"]
    assert {"yhat", "yhat_lo_80", "yhat_hi_80"} <= set(result.columns)
    assert (result["ds"] > result["cutoff"]).all()
    actual = result.merge(panel, on=["unique_id", "ds"], suffixes=("", "_panel"))
    assert (actual["y"] == actual["y_panel"]).all()
    # seasonal naive: the forecast repeats the value one week before
    week_before = panel.assign(ds=panel["ds"] + pd.Timedelta(days=7))
    lagged = result.merge(week_before, on=["unique_id", "ds"], suffixes=("", "_lag"))
    assert (lagged["yhat"] == lagged["y_lag"]).all()


def test_holdout_is_the_last_h_points():
    panel = _panel()
    result = holdout(lambda: SeasonalNaiveForecaster("D", 7), panel, h=4)
    assert set(result["window"]) == {0}
    assert result.groupby("unique_id")["ds"].max().equals(panel.groupby("unique_id")["ds"].max())


def test_a_series_sample_is_the_same_whatever_the_order_and_is_kept_in_order():
    ids = pd.Index([f"s{i:04d}" for i in range(500)])
    chosen = sample_series(ids, 40)
    assert len(chosen) == 40 and chosen.isin(ids).all()
    assert list(chosen) == sorted(chosen)  # kept in the order given
    shuffled = pd.Index(ids.to_series().sample(frac=1.0, random_state=7))
    assert set(sample_series(shuffled, 40)) == set(chosen)
    # a part of the ids keeps the members of the sample it holds among its own lowest
    assert set(sample_series(ids[:250], 40)) >= set(chosen) & set(ids[:250])
    assert sample_series(ids, None) is ids and sample_series(ids, 500) is ids
    with pytest.raises(ValueError, match="limit must be >= 1"):
        sample_series(ids, 0)


def test_the_calibration_subset_takes_at_most_max_series_of_the_long_enough_ones():
    df = synthetic_panel(30, 48, "MS", seed=2)
    short = df.groupby("unique_id").head(20)  # two series too short for the windows
    df = pd.concat(
        [df[~df["unique_id"].isin(["s00000", "s00001"])], short[short["unique_id"] < "s00002"]]
    )
    everyone, windows = calibration_subset(df, h=6, max_windows=2, min_train=24)
    assert windows == 2 and everyone["unique_id"].nunique() == 28
    sampled, windows = calibration_subset(df, h=6, max_windows=2, min_train=24, max_series=10)
    assert windows == 2
    assert set(sampled["unique_id"]) == set(
        sample_series(pd.Index(everyone["unique_id"].unique()), 10)
    )
    assert not {"s00000", "s00001"} & set(sampled["unique_id"])
    # whole series: every row of a chosen series
    pd.testing.assert_frame_equal(sampled, df[df["unique_id"].isin(sampled["unique_id"].unique())])
