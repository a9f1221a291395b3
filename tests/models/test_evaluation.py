"""evaluate_methods: one entry per method, the default flagged, test frames checked."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from models.evaluation import evaluate_methods, split_last
from models.validation import PanelValidationError


def test_split_last_holds_out_h_points_per_series(monthly_panel):
    train, test = split_last(monthly_panel, 5)
    assert test.groupby("unique_id").size().eq(5).all()
    assert len(train) + len(test) == len(monthly_panel)
    assert (test.groupby("unique_id")["ds"].min() > train.groupby("unique_id")["ds"].max()).all()


@pytest.mark.slow  # fits the combined model (its own backtest) and two more methods
def test_report_has_every_method_and_one_default(monthly_panel):
    stages = []
    report = evaluate_methods(
        monthly_panel,
        6,
        levels=(80,),
        methods=["lightgbm", "seasonal_naive", "lightgbm_combined"],
        on_progress=lambda name, stage: stages.append((name, stage)),
    )
    assert [m.name for m in report.methods] == ["lightgbm", "seasonal_naive", "lightgbm_combined"]
    assert [m.name for m in report.methods if m.default] == ["lightgbm_combined"]
    assert report.default.name == "lightgbm_combined"
    for method in report.methods:
        assert math.isfinite(method.mase) and math.isfinite(method.smape)
        assert 0.0 <= method.coverage["80"] <= 1.0
        assert method.seconds > 0
    assert (report.freq, report.season_length, report.horizon) == ("MS", 12, 6)
    assert stages[:2] == [("lightgbm", "start"), ("lightgbm", "done")]
    per_series = report.per_series
    assert len(per_series) == 3 * monthly_panel["unique_id"].nunique()
    seasonal = per_series[per_series["method"] == "seasonal_naive"]
    assert seasonal["mase"].mean() == pytest.approx(report.methods[1].mase)


def test_explicit_test_frame_must_continue_every_series(monthly_panel):
    train, test = split_last(monthly_panel, 4)
    report = evaluate_methods(train, test, methods=["seasonal_naive"], levels=(95,))
    assert report.horizon == 4
    with pytest.raises(PanelValidationError, match="only one of train/test"):
        evaluate_methods(train, test[test["unique_id"] != "s00002"], methods=["seasonal_naive"])
    late = test.assign(ds=test["ds"] + pd.offsets.MonthBegin(2))
    with pytest.raises(PanelValidationError, match="gaps"):
        evaluate_methods(train, late, methods=["seasonal_naive"])


def test_unknown_method(monthly_panel):
    with pytest.raises(ValueError, match="unknown methods"):
        evaluate_methods(monthly_panel, 3, methods=["prophet"])
