"""Covariates: declarations, validation of covariate frames, features, the LightGBM member and
the combined model with static / known-in-advance / calendar covariates, explanations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.backtest import ForecastCache, backtest
from models.combined import CombinedForecaster
from models.config import ForecasterConfig, default_config
from models.covariates import (
    Covariate,
    CovariateError,
    MissingFutureCovariatesError,
    covariate_features,
    require_future,
    validate_covariates,
)
from models.datasets import retail_panel, synthetic_panel
from models.forecaster import LightGBMForecaster

DECLARED = (
    Covariate("promo", "boolean", "known_in_advance"),
    Covariate("price", "numeric", "known_in_advance"),
    Covariate("region", "categorical", "static", categories=("north", "south")),
    Covariate.calendar("us_holidays", "US"),
)


# -- declarations ---------------------------------------------------------------------------
def test_declarations_round_trip_and_reject_what_cannot_work():
    for covariate in DECLARED:
        assert Covariate.from_dict(covariate.to_dict()) == covariate
    with pytest.raises(CovariateError, match="type must be one of"):
        Covariate("x", "text")
    with pytest.raises(CovariateError, match="needs a country"):
        Covariate("h", "boolean", "calendar")
    with pytest.raises(CovariateError, match="unknown holidays country"):
        Covariate.calendar("h", "XX")
    with pytest.raises(CovariateError, match="unknown subdivision"):
        Covariate.calendar("h", "US", "ZZ")
    with pytest.raises(CovariateError, match="reserved"):
        Covariate("y")
    with pytest.raises(CovariateError, match="declared twice"):
        default_config("D", 7, 7, covariates=[{"name": "a"}, {"name": "a"}])


def test_config_keeps_covariates_as_json_ready_dicts():
    config = default_config("D", 7, 7, covariates=[DECLARED[0], DECLARED[3].to_dict()])
    assert ForecasterConfig.from_dict(config.to_dict()) == config
    assert [c["name"] for c in config.covariates] == ["promo", "us_holidays"]
    assert default_config("D", 7, 7).covariates == ()


# -- validation -----------------------------------------------------------------------------
def test_validation_returns_every_bad_row_with_a_reason():
    frame = pd.DataFrame(
        {
            "unique_id": ["a", "a", "a", "a", "b", None, "a"],
            "ds": [
                "2024-01-01",
                "2024-01-02",
                "not a date",
                "2024-01-04",
                "2024-01-01",
                "2024-01-01",
                "2024-01-02",
            ],
            "promo": [1, "true", 0, "maybe", 0, 1, 0],
            "price": [1.0, 2.0, 3.0, 4.0, np.inf, "x", 5.0],
        }
    )
    good, bad = validate_covariates(frame, DECLARED)
    assert len(good) + len(bad) == len(frame)  # nothing dropped silently
    reasons = dict(zip(bad.index, bad["reason"], strict=True))
    assert reasons[2] == "ds: not a timestamp"
    assert "promo: not a boolean" in reasons[3]
    assert reasons[4] == "price: not finite"
    assert reasons[5] == "price: not a number"
    assert reasons[1].startswith("repeated") and reasons[6].startswith("repeated")
    assert good["promo"].tolist() == [1.0]
    assert good["unique_id"].tolist() == ["a"]


def test_validation_refuses_undeclared_and_calendar_columns_and_unknown_categories():
    frame = pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"], "colour": ["red"]})
    with pytest.raises(CovariateError, match=r"undeclared covariate columns \['colour'\]"):
        validate_covariates(frame, DECLARED)
    with pytest.raises(CovariateError, match="take no values"):
        validate_covariates(frame.rename(columns={"colour": "us_holidays"}), DECLARED)
    static = pd.DataFrame(
        {"unique_id": ["a", "b", "c", "c"], "region": ["north", "west", "south", "north"]}
    )
    good, bad = validate_covariates(static, DECLARED)
    assert good["unique_id"].tolist() == ["a"]
    assert "unknown category" in bad.loc[1, "reason"]
    assert "several values for one series" in bad.loc[2, "reason"]


# -- features -------------------------------------------------------------------------------
def test_calendar_features_mark_holidays_and_count_days_to_and_from_them():
    panel = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2024-07-01", "2024-07-08"), "y": 1.0}
    )
    out = covariate_features(panel, [Covariate.calendar("hol", "US")])
    july4 = out["ds"] == "2024-07-04"
    assert out.loc[july4, "hol"].tolist() == [1.0]
    assert out["hol"].sum() == 1
    assert out["hol_days_to"].tolist() == [3, 2, 1, 0, 59, 58, 57, 56]  # next: Labor Day, Sep 2
    assert out["hol_days_from"].tolist()[3:] == [0, 1, 2, 3, 4]
    assert out.loc[0, "hol_days_from"] == 12  # Juneteenth, June 19
    # which holiday is nearest: Independence Day up to July 4 and after it (Labor Day is 59
    # days off), codes shared by every date range
    codes = out["hol_which"].tolist()
    assert len(set(codes)) == 1
    later = covariate_features(
        panel.assign(ds=pd.date_range("2025-08-30", periods=8)), [Covariate.calendar("hol", "US")]
    )
    assert later["hol_which"].iloc[-1] != codes[0]  # Labor Day, Sep 1 2025
    assert (
        covariate_features(
            panel.assign(ds=pd.date_range("2030-07-01", periods=8)),
            [Covariate.calendar("hol", "US")],
        )["hol_which"].tolist()
        == codes
    )


def test_seasonal_lag_of_a_dynamic_covariate_stays_within_its_series():
    panel = pd.DataFrame(
        {
            "unique_id": ["a"] * 3 + ["b"] * 3,
            "ds": list(pd.date_range("2024-01-01", periods=3)) * 2,
            "y": 1.0,
            "promo": [1.0, 0.0, 0.0, 0.0, 1.0, 1.0],
        }
    )
    out = covariate_features(panel, [DECLARED[0]], seasonal_lag=1)
    assert out["promo_lag1"].tolist()[1:3] == [1.0, 0.0]
    assert np.isnan(out["promo_lag1"].iloc[3])  # not series a's last value


def test_require_future_takes_shared_rows_and_names_what_is_missing():
    expected = pd.DataFrame(
        {"unique_id": ["a", "a", "b", "b"], "ds": pd.to_datetime(["2024-01-01", "2024-01-02"] * 2)}
    )
    future = pd.DataFrame(
        {
            "unique_id": [None, None, "b"],
            "ds": ["2024-01-01", "2024-01-02", "2024-01-01"],
            "promo": [0.0, 1.0, 1.0],
            "price": [2.0, 2.0, 3.0],
        }
    )
    values = require_future(future, expected, DECLARED)
    assert values["promo"].tolist() == [0.0, 1.0, 1.0, 1.0]  # b's own row wins on Jan 1
    with pytest.raises(MissingFutureCovariatesError) as error:
        require_future(future.iloc[[0, 2]].drop(columns="price"), expected, DECLARED)
    message = str(error.value)
    assert "series 'a', covariate 'promo': 2024-01-02" in message
    assert "series 'b', covariate 'price': 2024-01-01, 2024-01-02" in message


# -- the LightGBM member and the combined model ---------------------------------------------
@pytest.fixture(scope="module")
def retail():
    return retail_panel(8, 240, seed=1)


def _split(panel: pd.DataFrame, h: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    cutoff = panel["ds"].max() - pd.Timedelta(days=h)
    return panel[panel["ds"] <= cutoff], panel[panel["ds"] > cutoff]


def _config(covariates, **overrides) -> ForecasterConfig:
    values = {"num_boost_round": 40, "interval_windows": 1, **overrides}
    return default_config("D", 7, 14, covariates=covariates, **values)


def test_a_model_without_covariates_ignores_extra_columns_and_forecasts_the_same():
    panel = synthetic_panel(5, 120, "D", seed=2)
    extra = panel.assign(promo=1.0, region="north")
    plain = LightGBMForecaster(_config(())).fit(panel).predict(14, levels=[80])
    with_columns = LightGBMForecaster(_config(())).fit(extra).predict(14, levels=[80])
    pd.testing.assert_frame_equal(plain, with_columns, check_exact=True)


def test_lightgbm_uses_each_kind_and_refuses_a_horizon_without_future_values(retail):
    train, test = _split(retail.panel, 14)
    model = LightGBMForecaster(_config(retail.covariates)).fit(train)
    future = test[["unique_id", "ds", "promo", "price"]]
    forecast = model.predict(14, levels=[80], future=future)
    assert len(forecast) == 8 * 14 and forecast["yhat"].notna().all()
    features = model._mlf.ts.features_order_
    for name in ("promo", "promo_lag7", "price", "region", "us_holidays", "us_holidays_which"):
        assert name in features
    switched = future.assign(promo=1.0 - future["promo"])
    assert not np.allclose(model.predict(14, future=switched)["yhat"], forecast["yhat"])
    with pytest.raises(MissingFutureCovariatesError, match="covariate 'price'"):
        model.predict(14, future=future.drop(columns="price"))
    with pytest.raises(MissingFutureCovariatesError, match="series 'p003'"):
        model.predict(14, future=future[future["unique_id"] != "p003"])
    with pytest.raises(CovariateError, match="no column for covariates"):
        model.predict(14, history=train.drop(columns="region"), future=future)


def test_history_rows_with_bad_covariate_values_are_named(retail):
    train, _ = _split(retail.panel, 14)
    broken = train.copy()
    broken.loc[broken.index[5], "price"] = np.nan
    with pytest.raises(CovariateError, match="1 history row"):
        LightGBMForecaster(_config(retail.covariates)).fit(broken)


def test_save_and_load_keep_covariates(retail, tmp_path):
    train, test = _split(retail.panel, 14)
    model = LightGBMForecaster(_config(retail.covariates, interval_windows=0)).fit(train)
    future = test[["unique_id", "ds", "promo", "price"]]
    model.save(tmp_path / "m")
    loaded = LightGBMForecaster.load(tmp_path / "m")
    pd.testing.assert_frame_equal(
        model.predict(14, future=future), loaded.predict(14, future=future)
    )
    # from a history: the last observations (with covariates) of two series
    recent = train[train["unique_id"].isin(["p000", "p001"])]
    forecast = loaded.predict(14, history=recent, future=future)
    expected = model.predict(14, future=future)
    pd.testing.assert_frame_equal(
        forecast, expected[expected["unique_id"].isin(["p000", "p001"])].reset_index(drop=True)
    )


def test_backtests_use_the_recorded_covariates_of_their_test_windows(retail):
    config = _config(retail.covariates, interval_windows=0)
    scores = backtest(lambda: LightGBMForecaster(config), retail.panel, h=14, n_windows=2)
    assert len(scores) == 8 * 14 * 2
    # the same windows with promotions switched off in the recorded future: other forecasts
    no_promo = retail.panel.assign(promo=0.0)
    others = backtest(lambda: LightGBMForecaster(config), no_promo, h=14, n_windows=2)
    assert not np.allclose(scores["yhat"], others["yhat"])


def test_combined_model_with_covariates_backtests_with_a_shared_cache(retail):
    config = _config(retail.covariates, interval_windows=1)
    cache = ForecastCache()
    cached = backtest(
        lambda: CombinedForecaster(config),
        retail.panel,
        h=14,
        n_windows=1,
        levels=[80],
        cache=cache,
    )
    plain = backtest(
        lambda: CombinedForecaster(config), retail.panel, h=14, n_windows=1, levels=[80]
    )
    pd.testing.assert_frame_equal(cached, plain)
    train, test = _split(retail.panel, 14)
    model = CombinedForecaster(config).fit(train)
    with pytest.raises(MissingFutureCovariatesError):
        model.predict(14)
    forecast = model.predict(14, future=test[["unique_id", "ds", "promo", "price"]])
    assert len(forecast) == 8 * 14


# -- explanations ---------------------------------------------------------------------------
def test_contributions_and_base_sum_to_the_forecast_without_a_target_transform(retail):
    train, test = _split(retail.panel, 14)
    config = _config(retail.covariates, interval_windows=0, target_transform="none", differences=())
    model = LightGBMForecaster(config).fit(train)
    future = test[["unique_id", "ds", "promo", "price"]]
    explained = model.explain(14, future=future)
    groups = ["history", "calendar", "promo", "price", "region", "us_holidays"]
    assert list(explained.columns) == ["unique_id", "ds", "base", *groups, "raw", "yhat"]
    total = explained["base"] + explained[groups].sum(axis=1)
    np.testing.assert_allclose(total, explained["yhat"], rtol=1e-5)
    forecast = model.predict(14, future=future)
    np.testing.assert_allclose(explained["yhat"], forecast["yhat"])


def test_contributions_sum_in_the_transformed_space_of_the_default_model(retail):
    """Default transforms: log1p, then the seasonal difference (7 days). For the first 7
    steps, yhat = expm1(log1p(y seven days earlier) + base + contributions)."""
    train, test = _split(retail.panel, 14)
    model = LightGBMForecaster(_config(retail.covariates, interval_windows=0)).fit(train)
    explained = model.explain(14, future=test[["unique_id", "ds", "promo", "price"]])
    groups = ["history", "calendar", "promo", "price", "region", "us_holidays"]
    total = explained["base"] + explained[groups].sum(axis=1)
    np.testing.assert_allclose(total, explained["raw"], rtol=1e-6, atol=1e-9)
    first_week = explained.groupby("unique_id").head(7).reset_index(drop=True)
    week_before = train.groupby("unique_id").tail(7).reset_index(drop=True)
    rebuilt = np.expm1(np.log1p(week_before["y"].to_numpy()) + first_week["raw"].to_numpy())
    np.testing.assert_allclose(rebuilt, first_week["yhat"], rtol=1e-5)


def test_feature_importance_groups_the_trees_gain_by_explanation_group(retail):
    """Every feature's gain lands in its `explain` group: the groups' gains sum to the
    booster's total, shares sum to one, and the planted promotion is among what matters."""
    train, _ = _split(retail.panel, 14)
    model = LightGBMForecaster(_config(retail.covariates, interval_windows=0)).fit(train)
    importance = model.feature_importance()
    booster = model._mlf.models_["yhat"].booster_
    assert list(importance.columns) == ["group", "gain", "share"]
    assert set(importance["group"]) <= {"history", "calendar", "promo", "price", "region",
                                        "us_holidays"}  # fmt: skip
    assert importance["gain"].sum() == pytest.approx(
        booster.feature_importance(importance_type="gain").sum()
    )
    assert importance["share"].sum() == pytest.approx(1.0)
    promo = importance.set_index("group").loc["promo", "share"]
    assert promo > importance["share"].median()
    combined = CombinedForecaster(_config(retail.covariates, interval_windows=1)).fit(train)
    assert list(combined.feature_importance().columns) == ["group", "gain", "share"]


# -- the planted promotion lift ---------------------------------------------------------------
def test_switching_a_promotion_on_recovers_the_planted_lift():
    data = retail_panel(20, 400, seed=0, promo_lift=1.5)
    train, test = _split(data.panel, 14)
    config = _config(data.covariates, interval_windows=0, num_boost_round=200)
    model = LightGBMForecaster(config).fit(train)
    baseline = test[["unique_id", "ds", "promo", "price"]].assign(promo=0.0)
    days = baseline["ds"].isin(pd.date_range(test["ds"].min() + pd.Timedelta(days=3), periods=3))
    scenario = baseline.assign(promo=days.astype(float))
    before = model.predict(14, future=baseline)["yhat"].to_numpy()[days.to_numpy()]
    after = model.predict(14, future=scenario)["yhat"].to_numpy()[days.to_numpy()]
    lift = float(np.mean(after / before))
    # the uplift (lift - 1) within 20% of the planted one
    assert abs((lift - 1) / (data.promo_lift - 1) - 1) < 0.2, lift


def test_a_holiday_calendar_widens_the_default_training_window_to_two_years():
    calendar = [Covariate.calendar("us_holidays", "US").to_dict()]
    assert default_config("D", 7, 14).train_window == 350
    assert default_config("D", 7, 14, covariates=calendar).train_window == 732
    assert default_config("W", 52, 8, covariates=calendar).train_window == 2600  # already wider
    assert default_config("D", 7, 14, covariates=calendar, train_window=100).train_window == 100
    assert default_config("D", 7, 14, covariates=[DECLARED[0]]).train_window == 350
