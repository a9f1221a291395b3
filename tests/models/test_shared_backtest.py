"""Backtests that fit each member once per distinct training frame score what refits score."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from models.backtest import ForecastCache, backtest
from models.combined import CombinedForecaster
from models.config import default_config
from models.datasets import synthetic_panel

H = 6


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return synthetic_panel(8, 84, "MS", seed=5)


def _maker(**overrides):
    config = default_config("MS", 12, H, num_boost_round=20, **overrides)
    return lambda: CombinedForecaster(config)


def _without_fits(panel, make, n_windows):
    return backtest(make, panel, h=H, n_windows=n_windows, levels=[80, 95])


def test_cached_members_give_the_refit_backtest_exactly(panel):
    make = _maker()
    refit = _without_fits(panel, make, n_windows=3)
    cache = ForecastCache()
    shared = backtest(make, panel, h=H, n_windows=3, levels=[80, 95], cache=cache)
    pd.testing.assert_frame_equal(shared, refit, check_exact=False, rtol=1e-9, atol=1e-9)
    # 3 members at the 3 outer cutoffs and the 2 inner ones beyond the oldest: 5 distinct
    # training frames, against 3 windows x (2 inner + 1 final) x 3 when every window refits
    assert cache.fits == 3 * 5
    assert cache.reused > 0


def test_a_champion_with_the_same_members_costs_no_fit(panel):
    cache = ForecastCache()
    challenger = backtest(_maker(), panel, h=H, n_windows=2, cache=cache)
    fits = cache.fits
    champion = backtest(_maker(), panel, h=H, n_windows=2, cache=cache)
    assert cache.fits == fits
    pd.testing.assert_frame_equal(challenger, champion)


def test_members_of_another_configuration_are_fitted_anew(panel):
    cache = ForecastCache()
    backtest(_maker(), panel, h=H, n_windows=1, cache=cache)
    fits = cache.fits
    backtest(_maker(member_window=40), panel, h=H, n_windows=1, cache=cache)
    refitted = {json.loads(key)["member"] for key in cache.fitted[fits:]}
    # the statistical members see shorter histories; LightGBM's fits are the same ones
    assert refitted == {"ets", "theta"}


def test_the_cache_tells_training_frames_apart_by_their_values(panel):
    cache = ForecastCache()
    make = _maker()
    model = make()
    key = model._member_key("theta")
    first = cache(key, lambda: model._new_member("theta"), panel, H)
    changed = panel.assign(y=panel["y"] * 2)
    second = cache(key, lambda: model._new_member("theta"), changed, H)
    assert cache.fits == 2
    assert not first["yhat"].equals(second["yhat"])


def test_local_members_are_shared_per_series_even_across_steps(panel):
    model = _maker()()
    training = ForecastCache()
    model.fit(panel, forecast=training)
    assert {json.loads(key)["member"] for key in training.fitted} == {"lightgbm", "ets", "theta"}

    later = ForecastCache()  # another step: it reads what the training wrote
    later.add_local(training.local_frame())
    fewer = panel[panel["unique_id"] != panel["unique_id"].iloc[0]]
    again = _maker()()
    again.fit(fewer, forecast=later)
    # LightGBM is global (other series, another model); ETS and Theta per series: reused
    assert {json.loads(key)["member"] for key in later.fitted} == {"lightgbm"}
    fresh = _maker()().fit(fewer)
    assert again.members_ == fresh.members_
    assert again.selection_scores_ == pytest.approx(fresh.selection_scores_, rel=1e-9)


def test_local_forecasts_written_out_and_read_back_are_the_same_frames(panel, tmp_path):
    training = ForecastCache()
    _maker()().fit(panel, forecast=training)
    written = training.local_frame()
    assert list(written.columns) == ["unique_id", "ds", "yhat", "model_key", "h", "digest"]
    # one row per forecast point of every (member, window, series): nothing lost or added
    assert len(written) == sum(len(rows) for s in training._local.values() for rows in s.values())
    written.to_parquet(tmp_path / "members.parquet", index=False)

    later = ForecastCache()
    later.add_local(pd.read_parquet(tmp_path / "members.parquet"))
    assert later._local.keys() == training._local.keys()
    for key, store in training._local.items():
        assert store.keys() == later._local[key].keys()
        for entry, rows in store.items():
            pd.testing.assert_frame_equal(later._local[key][entry], rows.reset_index(drop=True))
