"""Rolling-origin windows, cutoffs and alignment with actuals."""

from __future__ import annotations

import pandas as pd
import pytest

from models.backtest import backtest, holdout, split_windows
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
