"""The default model: backtest-selected combination of LightGBM and statistical members."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import models
from models.combined import CombinedForecaster
from models.validation import PanelValidationError


def _fitted(panel: pd.DataFrame) -> CombinedForecaster:
    return models.default_forecaster("MS", 12, 6, num_boost_round=30).fit(panel)


def test_selection_scores_every_candidate_and_keeps_the_best(monthly_panel):
    model = _fitted(monthly_panel)
    assert set(model.selection_scores_) == {
        "lightgbm", "lightgbm+ets", "lightgbm+theta", "lightgbm+ets+theta",
    }  # fmt: skip
    best = min(model.selection_scores_, key=model.selection_scores_.get)
    assert "+".join(model.members_) == best


def test_forecast_is_the_mean_of_the_members(monthly_panel):
    model = _fitted(monthly_panel)
    combined = model.predict(6)
    members = [model._models[name].predict(6)["yhat"].to_numpy() for name in model.members_]
    assert np.allclose(combined["yhat"].to_numpy(), np.mean(members, axis=0))


def test_round_trip_history_and_update(tmp_path, monthly_panel):
    head = monthly_panel.groupby("unique_id").head(66)
    model = _fitted(head)
    model.save(tmp_path / "default")
    restored = CombinedForecaster.load(tmp_path / "default")
    pd.testing.assert_frame_equal(model.predict(6, [80]), restored.predict(6, [80]))

    unseen = monthly_panel[monthly_panel["unique_id"] == "s00001"].assign(unique_id="fresh")
    forecasts = restored.predict(3, levels=[95], history=unseen)
    assert set(forecasts["unique_id"]) == {"fresh"}
    assert (forecasts["yhat_lo_95"] < forecasts["yhat_hi_95"]).all()

    restored.update(monthly_panel.drop(index=head.index))
    after = restored.predict(2)
    assert (after["ds"].min() - monthly_panel["ds"].max()).days > 0


def test_required_history_counts_rolling_windows_beyond_the_lags():
    # lags reach 3 periods back; a rolling mean of 12 shifted by 1 reaches 13
    short = CombinedForecaster(models.default_config("MS", 12, 6, lags=(1, 2, 3), rolling_means=()))
    longer = CombinedForecaster(
        models.default_config("MS", 12, 6, lags=(1, 2, 3), rolling_means=((1, 12),))
    )
    assert longer.required_history() - short.required_history() == 13 - 3
    windows = max(short.config.selection_windows, short.config.interval_windows)
    # the selection windows, the differences (12), the feature reach and one point to learn
    assert longer.required_history() == windows * 6 + 12 + 13 + 1


def test_serving_a_seen_series_reuses_the_members_estimates(monthly_panel):
    model = _fitted(monthly_panel)
    served = model.predict(6, levels=[80], history=monthly_panel)
    statistical = [m for name, m in model._models.items() if name != "lightgbm"]
    assert statistical, "the selection kept no statistical member on this panel"
    assert all(m.reestimated_ == 0 and m.filtered_ > 0 for m in statistical)
    for member in statistical:
        member.estimates_ = {}  # forget them: every series is estimated afresh
    reestimated = model.predict(6, levels=[80], history=monthly_panel)
    assert all(m.reestimated_ > 0 for m in statistical)
    pd.testing.assert_frame_equal(served, reestimated, check_dtype=False, atol=1e-8)


def test_a_history_is_validated_once_for_every_member_and_short_series_are_refused(
    monthly_panel,
):
    model = _fitted(monthly_panel)
    history = monthly_panel.sample(frac=1.0, random_state=3)  # unsorted: validation sorts it
    combined = model.predict(6, history=history)
    # each member validating the history on its own gives the same forecast
    members = [model._models[name].predict(6, history=history) for name in model.members_]
    assert np.allclose(combined["yhat"].to_numpy(), np.mean([m["yhat"] for m in members], axis=0))

    needed = max(model._models[name].min_forecast_history() for name in model.members_)
    assert needed > 1  # the LightGBM member's differences need that many points
    short = monthly_panel[monthly_panel["unique_id"] == "s00001"].tail(needed - 1)
    with pytest.raises(PanelValidationError, match="too short") as error:
        model.predict(6, history=short.assign(unique_id="short"))
    assert "short" in str(error.value)


def test_the_selection_scores_a_sample_of_series_and_every_series_is_forecast(monthly_panel):
    model = models.default_forecaster("MS", 12, 6, num_boost_round=30, selection_series=5)
    scored, subset = model._member_backtest(model._panel(monthly_panel))
    assert subset["unique_id"].nunique() == 5
    assert set(scored["unique_id"]) == set(subset["unique_id"])
    model.fit(monthly_panel)
    forecasts = model.predict(6, levels=[80])
    assert set(forecasts["unique_id"]) == set(monthly_panel["unique_id"])
    assert (forecasts["yhat_lo_80"] < forecasts["yhat_hi_80"]).all()


def test_the_default_model_samples_1000_series_for_its_selection():
    assert models.default_config("D", 7, 14).selection_series == 1_000
    assert models.ForecasterConfig("D", 7, 14).selection_series is None  # older artifacts


def test_the_ets_member_estimates_in_the_configured_space(tmp_path, monthly_panel):
    model = models.default_forecaster(
        "MS", 12, 6, num_boost_round=30, combine_with=("ets",), ets_model="ZZZ"
    )
    assert model._new_member("ets").model == "ZZZ"
    default = models.default_forecaster("MS", 12, 6, num_boost_round=30, combine_with=("ets",))
    assert default._new_member("ets").model == "AZZ"
    assert default._new_member("ets").damped is True
    assert model._member_key("ets") != default._member_key("ets")  # never shares a fit
    undamped = models.default_forecaster(
        "MS", 12, 6, num_boost_round=30, combine_with=("ets",), ets_damped=None
    )
    assert undamped._new_member("ets").damped is None
    assert undamped._member_key("ets") != default._member_key("ets")
    assert undamped._member_key("lightgbm") == default._member_key("lightgbm")
    assert model._member_key("lightgbm") == default._member_key("lightgbm")
    model.fit(monthly_panel)
    if "ets" in model.members_:
        assert model._models["ets"].model == "ZZZ"
    model.save(tmp_path / "model")
    restored = models.CombinedForecaster.load(tmp_path / "model")
    assert restored.config.ets_model == "ZZZ"
    pd.testing.assert_frame_equal(restored.predict(6), model.predict(6))
