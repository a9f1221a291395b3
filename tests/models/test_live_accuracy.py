"""Live accuracy on a seeded case whose answer is worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from models.live_accuracy import live_metrics, pending_points, summarize

DAYS = pd.date_range("2026-01-01", periods=9, freq="D")
# Series "a": history 1..6 with season 2, so every seasonal difference is 2 -> scale 2.
# The actuals 7 and 12 arrive later; counted into the scale they would change it (12 - 6 = 6).
HISTORY_A = [1, 2, 3, 4, 5, 6]
ACTUALS_A = [7, 12]
FORECAST_A = [6, 10]  # absolute errors 1 and 2
LOW_80, HIGH_80 = [5, 9], [8, 11]  # 7 is inside [5, 8], 12 is outside [9, 11]


def _frames():
    history = pd.DataFrame(
        {
            "unique_id": ["a"] * 8 + ["flat"] * 7,
            "ds": list(DAYS[:8]) + list(DAYS[:7]),
            "y": HISTORY_A + ACTUALS_A + [3.0] * 6 + [4.0],
        }
    )
    actuals = history[history["ds"] >= DAYS[6]].reset_index(drop=True)
    points = pd.DataFrame(
        {
            "model_version": ["1", "1", "1", "1"],
            "unique_id": ["a", "a", "a", "flat"],
            "ds": [DAYS[6], DAYS[7], DAYS[8], DAYS[6]],  # DAYS[8] has no actual yet
            "origin": [DAYS[6]] * 4,
            "yhat": [*FORECAST_A, 99.0, 3.0],
            "yhat_lo_80": [*LOW_80, 0.0, 2.0],
            "yhat_hi_80": [*HIGH_80, 200.0, 5.0],
        }
    )
    return points, actuals, history


def test_live_metrics_by_hand():
    points, actuals, history = _frames()
    result = live_metrics(points, actuals, history, season_length=2, levels=[80, 95])
    a = result.set_index("unique_id").loc["a"]
    assert a["points"] == 2
    assert a["mase"] == pytest.approx((1 + 2) / 2 / 2)
    assert a["smape"] == pytest.approx((200 * 1 / 13 + 200 * 2 / 22) / 2)
    assert a["bias"] == pytest.approx(((6 - 7) + (10 - 12)) / 2)
    assert a["mae"] == pytest.approx(1.5)
    assert a["coverage_80"] == pytest.approx(0.5)
    assert math.isnan(a["coverage_95"])  # the forecasts carry no 95% interval


def test_flat_history_has_no_mase_but_other_metrics():
    points, actuals, history = _frames()
    flat = live_metrics(points, actuals, history, season_length=2, levels=[80])
    flat = flat.set_index("unique_id").loc["flat"]
    assert math.isnan(flat["mase"])
    assert flat["bias"] == pytest.approx(3.0 - 4.0)
    assert flat["coverage_80"] == 1.0


def test_pending_points_are_counted_not_evaluated():
    points, actuals, _ = _frames()
    assert pending_points(points, actuals) == 1


def test_each_origin_uses_its_own_history():
    points, actuals, history = _frames()
    later = points.iloc[[1]].assign(origin=DAYS[7], model_version="2")
    result = live_metrics(later, actuals, history, season_length=2)
    # History before DAYS[7] is 1..6, 7: lag-2 differences 2, 2, 2, 2, 2 -> scale 2, error 2.
    assert result["mase"].iloc[0] == pytest.approx(1.0)


def test_summarize_means_over_series():
    points, actuals, history = _frames()
    figures = summarize(live_metrics(points, actuals, history, season_length=2, levels=[80]))
    assert figures["series"] == 2 and figures["points"] == 3
    assert figures["mase"] == pytest.approx(0.75)  # the flat series' NaN is skipped
    assert figures["coverage_80"] == pytest.approx((0.5 + 1.0) / 2)


def test_duplicate_actuals_are_refused():
    points, actuals, history = _frames()
    with pytest.raises(ValueError, match="more than one value"):
        live_metrics(points, pd.concat([actuals, actuals]), history, season_length=2)


def test_missing_columns_are_named():
    points, actuals, history = _frames()
    with pytest.raises(ValueError, match="origin"):
        live_metrics(points.drop(columns="origin"), actuals, history, season_length=2)


def test_scales_given_instead_of_history_give_the_same_metrics():
    points, actuals, history = _frames()
    from_history = live_metrics(points, actuals, history, season_length=2, levels=[80])
    origin = DAYS[6]
    # a's scale worked out above; the flat series' is undefined (None), as a database gives it
    scales = {("a", origin): 2.0, ("flat", origin): None}
    given = live_metrics(points, actuals, season_length=2, levels=[80], scales=scales)
    pd.testing.assert_frame_equal(given, from_history)
    unknown = live_metrics(points, actuals, season_length=2, levels=[80], scales={})
    assert unknown["mase"].isna().all()


@pytest.mark.parametrize("both", [True, False])
def test_history_or_scales_not_both_nor_neither(both):
    points, actuals, history = _frames()
    with pytest.raises(ValueError, match="either the history or the scales"):
        live_metrics(
            points, actuals, history if both else None, season_length=2, scales={} if both else None
        )
