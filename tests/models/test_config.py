"""default_config derives features from the frequency; every field can be overridden."""

from __future__ import annotations

import pytest

from models.config import ForecasterConfig, default_config


@pytest.mark.parametrize(
    ("freq", "season", "must_have_lags", "date_features"),
    [("MS", 12, {1, 12, 24}, ("month",)), ("QS", 4, {1, 4, 8}, ("quarter",)),
     ("D", 7, {1, 7, 14}, ("dayofweek", "month")), ("h", 24, {1, 24, 48}, ("hour", "dayofweek")),
     ("YS", 1, {1, 2, 3}, ())],
)  # fmt: skip
def test_defaults_follow_frequency(freq, season, must_have_lags, date_features):
    config = default_config(freq, season, 4)
    assert must_have_lags <= set(config.lags)
    assert config.date_features == date_features
    assert config.differences == ((season,) if season > 1 else (1,))


def test_overrides_replace_any_field():
    config = default_config("MS", 12, 6, lags=(1, 2), num_boost_round=7, device="auto")
    assert config.lags == (1, 2)
    assert config.num_boost_round == 7
    assert config.device == "auto"
    with pytest.raises(ValueError, match="unknown ForecasterConfig fields: \\['lagz'\\]"):
        default_config("MS", 12, 6, lagz=(1,))


def test_invalid_values_are_rejected_with_the_field_name():
    with pytest.raises(ValueError, match="device must be one of"):
        default_config("MS", 12, 6, device="tpu")
    with pytest.raises(ValueError, match="horizon must be >= 1"):
        default_config("MS", 12, 0)


def test_dict_round_trip():
    config = default_config("D", 7, 28, rolling_means=((1, 7), (7, 28)))
    assert ForecasterConfig.from_dict(config.to_dict()) == config


def test_windows_spare_short_series_and_cap_long_ones():
    assert default_config("MS", 12, 24).train_window == 600
    assert default_config("QS", 4, 8).train_window == 200
    assert default_config("D", 7, 28).train_window == 350
    assert default_config("D", 7, 28, train_window=None).train_window is None
    assert default_config("D", 7, 28).member_window == 140
    assert default_config("MS", 12, 24).member_window == 240
    with pytest.raises(ValueError, match="train_window"):
        default_config("D", 7, 28, train_window=0)


def test_the_ets_member_chooses_among_additive_error_forms_by_default():
    for freq, season in (("15min", 96), ("h", 24), ("D", 7), ("W-SUN", 52), ("MS", 12), ("QS", 4)):
        assert default_config(freq, season, 4).ets_model == "AZZ"
    assert default_config("D", 7, 14, ets_model="ZZZ").ets_model == "ZZZ"
    assert ForecasterConfig("D", 7, 14).ets_model == "ZZZ"  # older artifacts: every form
    with pytest.raises(ValueError, match="ets model must be three letters"):
        default_config("D", 7, 14, ets_model="AZZZ")


def test_the_ets_member_damps_its_trend_by_default():
    for freq, season in (("h", 24), ("D", 7), ("MS", 12), ("QS", 4)):
        assert default_config(freq, season, 4).ets_damped is True
    assert default_config("D", 7, 14, ets_damped=None).ets_damped is None
    assert ForecasterConfig("D", 7, 14).ets_damped is None  # older artifacts: AICc chooses
    # a model string without a trend has nothing to damp: left to AICc unless asked
    assert default_config("D", 7, 14, ets_model="ANA").ets_damped is None
    with pytest.raises(ValueError, match="needs a trend"):
        default_config("D", 7, 14, ets_model="ANA", ets_damped=True)
    with pytest.raises(ValueError, match="true, false or null"):
        default_config("D", 7, 14, ets_damped="yes")
