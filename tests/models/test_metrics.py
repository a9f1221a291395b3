"""Metrics against values computed by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from models.metrics import (
    aggregate_metrics,
    coverage,
    mase,
    per_series_metrics,
    rmsse,
    seasonal_scale,
    smape,
)

# Training part 1..6 with season 2: seasonal differences are all 2 -> MAE scale 2, MSE scale 4.
TRAIN = [1, 2, 3, 4, 5, 6]
ACTUAL = [7, 8]
FORECAST = [6, 10]  # absolute errors 1 and 2


def test_mase_by_hand():
    assert mase(ACTUAL, FORECAST, TRAIN, season_length=2) == pytest.approx(1.5 / 2)


def test_rmsse_by_hand():
    assert rmsse(ACTUAL, FORECAST, TRAIN, season_length=2) == pytest.approx(math.sqrt(2.5 / 4))


def test_smape_m3_definition():
    expected = (200 * 1 / 13 + 200 * 2 / 18) / 2
    assert smape(ACTUAL, FORECAST) == pytest.approx(expected)
    assert smape([0, 0], [0, 0]) == 0.0
    assert smape([1], [-1]) == pytest.approx(200.0)


def test_coverage_counts_bounds_inclusive():
    assert coverage([7, 8, 9], [6.5, 9, 9], [7.5, 11, 10]) == pytest.approx(2 / 3)


def test_short_series_scale_falls_back_to_lag_one():
    # 3 points, season 4: no full season, so the naive (lag 1) error |2-1|, |4-2| -> 1.5
    assert seasonal_scale([1, 2, 4], season_length=4) == pytest.approx(1.5)
    assert math.isnan(seasonal_scale([5], season_length=1))


def test_flat_training_part_gives_nan_not_infinity():
    assert math.isnan(mase([1, 2], [1, 1], [3, 3, 3], season_length=1))
    train = pd.DataFrame({"unique_id": ["flat"] * 3 + ["ok"] * 3, "ds": [1, 2, 3] * 2,
                          "y": [3.0, 3.0, 3.0, 1.0, 2.0, 3.0]})  # fmt: skip
    forecasts = pd.DataFrame({"unique_id": ["flat", "ok"], "ds": [4, 4], "y": [3.0, 4.0],
                              "yhat": [4.0, 5.0]})  # fmt: skip
    table = per_series_metrics(forecasts, train, season_length=1)
    assert math.isnan(table.set_index("unique_id").loc["flat", "mase"])
    assert aggregate_metrics(table)["mase"] == pytest.approx(1.0)


def _frames():
    train = pd.DataFrame(
        {
            "unique_id": ["a"] * 6 + ["b"] * 6,
            "ds": list(pd.date_range("2020-01-01", periods=6, freq="D")) * 2,
            "y": [*TRAIN, 10, 10, 12, 12, 14, 14],  # b: season-2 differences 2,2,2,2 -> scale 2
        }
    )
    forecasts = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b", "b"],
            "ds": list(pd.date_range("2020-01-07", periods=2, freq="D")) * 2,
            "y": [*ACTUAL, 16, 16],
            "yhat": [*FORECAST, 16, 20],  # b: errors 0 and 4
            "yhat_lo_80": [6.5, 9, 15, 15],
            "yhat_hi_80": [7.5, 11, 17, 17],
        }
    )
    return train, forecasts


def test_per_series_and_aggregate():
    train, forecasts = _frames()
    table = per_series_metrics(forecasts, train, season_length=2, levels=[80])
    by_id = table.set_index("unique_id")
    assert by_id.loc["a", "mase"] == pytest.approx(0.75)
    assert by_id.loc["b", "mase"] == pytest.approx(1.0)
    assert by_id.loc["b", "rmsse"] == pytest.approx(math.sqrt(8 / 4))
    assert by_id.loc["a", "coverage_80"] == pytest.approx(0.5)
    assert by_id.loc["b", "coverage_80"] == pytest.approx(1.0)
    means = aggregate_metrics(table)
    assert means["mase"] == pytest.approx((0.75 + 1.0) / 2)
    assert means["coverage_80"] == pytest.approx(0.75)


def test_cutoff_limits_the_scale_to_data_before_it():
    train, forecasts = _frames()
    early = forecasts[forecasts["unique_id"] == "a"].assign(cutoff=pd.Timestamp("2020-01-03"))
    table = per_series_metrics(early, train, season_length=2)
    # only 1, 2, 3 are training data at that cutoff: one season-2 difference of 2
    assert table.loc[0, "mase"] == pytest.approx(1.5 / 2)
    assert table.loc[0, "cutoff"] == pd.Timestamp("2020-01-03")


def test_forecast_for_unknown_series_is_an_error():
    train, forecasts = _frames()
    with pytest.raises(ValueError, match="without training data"):
        per_series_metrics(forecasts, train[train["unique_id"] == "a"], season_length=2)
