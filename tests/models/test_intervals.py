"""Conformal intervals: quantiles, scaling per series, persistence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.intervals import ConformalIntervals, series_scales


def test_conformal_quantile_uses_finite_sample_rank():
    scores = np.arange(1.0, 10.0)  # nine residuals 1..9 at step 1
    intervals = ConformalIntervals(np.ones(9, dtype=int), scores)
    # ceil((9 + 1) * 0.8) = 8th smallest
    assert intervals.quantile(1, 80) == 8.0
    # ceil(10 * 0.95) = 10 > 9 -> the largest residual
    assert intervals.quantile(1, 95) == 9.0
    assert intervals.quantile(5, 80) == 8.0  # beyond the calibrated horizon: last step
    with pytest.raises(ValueError, match="between 0 and 100"):
        intervals.quantile(1, 100)


def test_calibrate_scales_residuals_by_history_up_to_cutoff():
    history = pd.DataFrame(
        {
            "unique_id": ["a"] * 4,
            "ds": pd.date_range("2020-01-01", periods=4, freq="D"),
            "y": [0.0, 2.0, 4.0, 6.0],  # lag-1 MAE scale 2 up to the cutoff
        }
    )
    backtest = pd.DataFrame(
        {
            "unique_id": ["a", "a"],
            "ds": pd.date_range("2020-01-05", periods=2, freq="D"),
            "cutoff": pd.Timestamp("2020-01-04"),
            "y": [10.0, 10.0],
            "yhat": [9.0, 14.0],
        }
    )
    intervals = ConformalIntervals.calibrate(backtest, history, season_length=1)
    assert intervals.steps.tolist() == [1, 2]
    assert intervals.scores.tolist() == pytest.approx([0.5, 2.0])


def test_apply_orders_bounds_and_scales_per_series(tmp_path):
    rng = np.random.default_rng(0)
    intervals = ConformalIntervals(np.repeat([1, 2], 50), rng.uniform(0, 2, 100))
    forecasts = pd.DataFrame(
        {"unique_id": ["a", "a", "b", "b"], "ds": [1, 2, 1, 2], "yhat": [10.0, 10.0, 5.0, 5.0]}
    )
    scales = pd.Series({"a": 1.0, "b": 3.0})
    out = intervals.apply(forecasts, scales, [80, 95])
    assert (out["yhat_lo_95"] <= out["yhat_lo_80"]).all()
    assert (out["yhat_lo_80"] < out["yhat"]).all() and (out["yhat"] < out["yhat_hi_80"]).all()
    assert (out["yhat_hi_80"] <= out["yhat_hi_95"]).all()
    width = out["yhat_hi_80"] - out["yhat_lo_80"]
    assert width[2] == pytest.approx(3 * width[0])  # same step, three times the scale

    intervals.save(tmp_path / "intervals.npz")
    restored = ConformalIntervals.load(tmp_path / "intervals.npz")
    pd.testing.assert_frame_equal(restored.apply(forecasts, scales, [80, 95]), out)


def test_apply_refuses_series_without_scale():
    intervals = ConformalIntervals(np.array([1]), np.array([1.0]))
    forecasts = pd.DataFrame({"unique_id": ["zzz"], "ds": [1], "yhat": [1.0]})
    with pytest.raises(ValueError, match="no interval scale for series"):
        intervals.apply(forecasts, pd.Series({"a": 1.0}), [80])


def test_series_scales_fall_back_for_flat_series():
    history = pd.DataFrame(
        {"unique_id": ["flat"] * 3 + ["zero"] * 3, "ds": [1, 2, 3] * 2, "y": [4.0] * 3 + [0.0] * 3}
    )
    scales = series_scales(history, season_length=1)
    assert scales["flat"] == 4.0  # no variation: mean |y|
    assert scales["zero"] == 1.0
