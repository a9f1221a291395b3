"""Statistical members keep what fitting estimated and filter new observations through it."""

from __future__ import annotations

import pandas as pd
import pytest

from models.baselines import BASELINES, ETSForecaster, StatisticalForecaster
from models.datasets import synthetic_panel

WINDOW = 48


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return synthetic_panel(4, 72, "MS", seed=8)


def _reestimating(model: StatisticalForecaster) -> StatisticalForecaster:
    """The same model with nothing kept: every forecast estimates afresh."""
    fresh = type(model)(model.freq, model.season_length, max_history=model.max_history)
    fresh.history_ = model.history_
    return fresh


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_on_the_fitted_history_filtering_gives_the_reestimated_forecast(panel, name):
    model = BASELINES[name]("MS", 12, max_history=WINDOW).fit(panel)
    kept = model.predict(6, levels=[80, 95], history=panel)
    assert (model.filtered_, model.reestimated_) == (4, 0)
    fresh = _reestimating(model)
    reestimated = fresh.predict(6, levels=[80, 95], history=panel)
    assert (fresh.filtered_, fresh.reestimated_) == (0, 4)
    pd.testing.assert_frame_equal(kept, reestimated, check_dtype=False, atol=1e-8)
    pd.testing.assert_frame_equal(model.predict(6, levels=[80, 95]), kept, check_dtype=False)


def test_new_observations_are_filtered_not_reestimated(panel):
    head = panel.groupby("unique_id").head(66)
    model = ETSForecaster("MS", 12, max_history=WINDOW).fit(head)
    forecast = model.predict(3, history=panel)
    assert (model.filtered_, model.reestimated_) == (4, 0)
    assert (forecast.groupby("unique_id")["ds"].min() > panel["ds"].max()).all()
    # the filtered states follow the new observations: not the forecast from the old end
    stale = model.predict(9)
    assert not forecast["yhat"].equals(stale.tail(3)["yhat"])


def test_unseen_revised_or_truncated_histories_are_estimated_afresh(panel):
    model = ETSForecaster("MS", 12, max_history=WINDOW).fit(panel)
    unseen = panel[panel["unique_id"] == "s00000"].assign(unique_id="new")
    model.predict(3, history=unseen)
    assert (model.filtered_, model.reestimated_) == (0, 1)

    revised = panel.copy()
    first = revised.index[(revised["unique_id"] == "s00001")][-10]
    revised.loc[first, "y"] += 1.0
    model.predict(3, history=revised)
    assert (model.filtered_, model.reestimated_) == (3, 1)

    # a history that no longer reaches back to the estimation window's start
    model.predict(3, history=panel.groupby("unique_id").tail(WINDOW - 1))
    assert (model.filtered_, model.reestimated_) == (0, 4)


def test_kept_estimates_survive_save_and_load(tmp_path, panel):
    model = ETSForecaster("MS", 12, max_history=WINDOW).fit(panel)
    model.save(tmp_path / "ets")
    restored = StatisticalForecaster.load(tmp_path / "ets")
    forecast = restored.predict(4, levels=[80], history=panel)
    assert (restored.filtered_, restored.reestimated_) == (4, 0)
    pd.testing.assert_frame_equal(forecast, model.predict(4, levels=[80]), check_dtype=False)


def test_series_ending_on_other_dates_and_mixed_with_fresh_ones_keep_their_own_dates(panel):
    """Filtered series are assembled into one frame: each keeps its own dates and values,
    next to a series estimated afresh, in (series, date) order."""
    shorter = panel[
        ~(
            (panel["unique_id"] == "s00002")
            & (panel["ds"] > panel["ds"].max() - pd.DateOffset(months=3))
        )
    ]
    model = ETSForecaster("MS", 12, max_history=WINDOW).fit(shorter)
    unseen = panel[panel["unique_id"] == "s00000"].assign(unique_id="s00001b")
    history = pd.concat([shorter, unseen], ignore_index=True)
    forecast = model.predict(4, levels=[80], history=history)
    assert (model.filtered_, model.reestimated_) == (4, 1)
    assert list(forecast["unique_id"]) == sorted(history["unique_id"].unique().repeat(4))
    for uid, own in forecast.groupby("unique_id"):
        last = history.loc[history["unique_id"] == uid, "ds"].max()
        expected = pd.date_range(last, periods=5, freq="MS")[1:]
        assert list(own["ds"]) == list(expected), uid
        alone = model.predict(4, levels=[80], history=history[history["unique_id"] == uid])
        pd.testing.assert_frame_equal(
            own.reset_index(drop=True), alone, check_dtype=False, atol=1e-10
        )
