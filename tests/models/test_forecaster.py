"""LightGBMForecaster: frequencies, persistence, update without refit, unseen series, intervals."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from models import device
from models.config import default_config
from models.datasets import synthetic_panel
from models.forecaster import LightGBMForecaster
from models.validation import PanelValidationError


def _fit(panel: pd.DataFrame, freq: str, season: int, h: int, **overrides) -> LightGBMForecaster:
    config = default_config(freq, season, h, **{"num_boost_round": 30, **overrides})
    return LightGBMForecaster(config).fit(panel)


@pytest.mark.parametrize(
    ("freq", "season", "length"), [("h", 24, 24 * 8), ("D", 7, 120), ("MS", 12, 72), ("YS", 1, 30)]
)
def test_forecasts_start_after_each_series_for_every_frequency(freq, season, length):
    panel = synthetic_panel(4, length, freq, seed=1)
    model = _fit(panel, freq, season, h=5)
    forecasts = model.predict(5, levels=[80])
    assert list(forecasts.columns) == ["unique_id", "ds", "yhat", "yhat_lo_80", "yhat_hi_80"]
    expected = pd.date_range(panel["ds"].max(), periods=6, freq=freq)[1:]
    for _, series in forecasts.groupby("unique_id"):
        assert list(series["ds"]) == list(expected)
    assert forecasts["yhat"].notna().all()


def test_save_load_round_trip_is_exact(tmp_path, monthly_panel, fast_config):
    model = LightGBMForecaster(fast_config).fit(monthly_panel)
    model.save(tmp_path / "model")
    restored = LightGBMForecaster.load(tmp_path / "model")
    pd.testing.assert_frame_equal(model.predict(6, [80, 95]), restored.predict(6, [80, 95]))
    assert restored.config == model.config


def test_update_moves_the_origin_without_retraining(monthly_panel, fast_config):
    last = monthly_panel.groupby("unique_id").tail(2)
    model = LightGBMForecaster(fast_config).fit(monthly_panel.drop(index=last.index))
    trees_before = model._mlf.models_["yhat"].booster_.model_to_string()
    model.update(last)
    assert model._mlf.models_["yhat"].booster_.model_to_string() == trees_before
    forecasts = model.predict(3)
    first = forecasts.groupby("unique_id")["ds"].min()
    assert (first == monthly_panel["ds"].max() + pd.offsets.MonthBegin(1)).all()
    # same as forecasting from the full history with the same trees
    full = model.predict(3, history=monthly_panel)
    pd.testing.assert_frame_equal(forecasts, full)


def test_update_rejects_overlapping_or_gappy_observations(monthly_panel, fast_config):
    model = LightGBMForecaster(fast_config).fit(monthly_panel)
    with pytest.raises(ValueError, match="must come after the stored observations"):
        model.update(monthly_panel.groupby("unique_id").tail(1))
    late = monthly_panel.groupby("unique_id").tail(1)
    late = late.assign(ds=late["ds"] + pd.offsets.MonthBegin(3))
    with pytest.raises(PanelValidationError, match="gaps"):
        model.update(late)


def test_history_of_an_unseen_series_gives_forecasts_and_intervals(monthly_panel, fast_config):
    model = LightGBMForecaster(fast_config).fit(
        monthly_panel[monthly_panel["unique_id"] != "s00000"]
    )
    history = monthly_panel[monthly_panel["unique_id"] == "s00000"].assign(unique_id="newcomer")
    forecasts = model.predict(4, levels=[80, 95], history=history)
    assert set(forecasts["unique_id"]) == {"newcomer"}
    assert forecasts["ds"].min() == history["ds"].max() + pd.offsets.MonthBegin(1)
    assert (forecasts["yhat_lo_95"] < forecasts["yhat"]).all()
    assert (forecasts["yhat"] < forecasts["yhat_hi_95"]).all()


def test_conformal_intervals_are_ordered_and_roughly_cover(fast_config):
    panel = synthetic_panel(40, 84, "MS", seed=11)
    horizon = 6
    is_test = panel.groupby("unique_id").cumcount(ascending=False) < horizon
    model = LightGBMForecaster(fast_config).fit(panel[~is_test])
    forecasts = model.predict(horizon, levels=[80, 95]).merge(
        panel[is_test], on=["unique_id", "ds"]
    )
    assert (forecasts["yhat_lo_95"] <= forecasts["yhat_lo_80"]).all()
    assert (forecasts["yhat_lo_80"] <= forecasts["yhat"]).all()
    assert (forecasts["yhat"] <= forecasts["yhat_hi_80"]).all()
    assert (forecasts["yhat_hi_80"] <= forecasts["yhat_hi_95"]).all()
    inside = {
        level: forecasts["y"].between(forecasts[f"yhat_lo_{level}"], forecasts[f"yhat_hi_{level}"])
        for level in (80, 95)
    }
    assert 0.6 <= inside[80].mean() <= 0.97
    assert inside[95].mean() >= max(inside[80].mean(), 0.8)


def test_levels_need_a_calibration(monthly_panel):
    model = _fit(monthly_panel, "MS", 12, 6, interval_windows=0)
    assert "yhat_lo_80" not in model.predict(2).columns
    with pytest.raises(ValueError, match="no interval calibration"):
        model.predict(2, levels=[80])


def test_negative_targets_switch_off_the_log_transform():
    panel = synthetic_panel(4, 60, "MS", seed=2)
    panel["y"] -= panel["y"].mean()
    model = _fit(panel, "MS", 12, 3, interval_windows=0)
    assert model.log_target_ is False
    assert model.predict(3)["yhat"].notna().all()


def test_device_auto_falls_back_to_cpu(monkeypatch, caplog, monthly_panel):
    monkeypatch.setattr(device, "gpu_available", lambda: (False, "No OpenCL device found"))
    with caplog.at_level(logging.INFO, logger="models.device"):
        model = _fit(monthly_panel, "MS", 12, 6, device="auto", interval_windows=0)
    assert model.device_ == "cpu"
    assert "training on the CPU" in caplog.text


def test_predict_before_fit_is_a_clear_error(fast_config):
    with pytest.raises(RuntimeError, match="not fitted"):
        LightGBMForecaster(fast_config).predict(3)


def test_device_gpu_without_support_fails_before_training(monkeypatch, monthly_panel):
    monkeypatch.setattr(device, "gpu_available", lambda: (False, "No OpenCL device found"))
    model = LightGBMForecaster(default_config("MS", 12, 6, device="gpu", num_boost_round=5))
    with pytest.raises(device.GPUUnavailableError, match="No OpenCL device found"):
        model.fit(monthly_panel)


def _matrix(config, panel):
    model = LightGBMForecaster(config)
    model._mlf = model._build(log_target=True, device="cpu")
    return model._training_matrix(panel)


def test_train_window_keeps_the_last_rows_with_their_full_history_features():
    # series of different lengths, one shorter than the window
    panel = pd.concat(
        [synthetic_panel(1, n, "D", seed=n).assign(unique_id=f"s{n}") for n in (60, 150, 200)]
    ).reset_index(drop=True)
    config = default_config("D", 7, 14, train_window=80, num_boost_round=5)
    full_features, full_target = _matrix(
        default_config("D", 7, 14, train_window=None, num_boost_round=5), panel
    )
    features, target = _matrix(config, panel)
    # Rows kept by the full build, series by series (60 - 7 differenced, then 150 - 7, 200 - 7):
    # the window keeps all of the short one and the last 80 of the others.
    kept = [full_features[:53], full_features[53 + 143 - 80 : 53 + 143], full_features[-80:]]
    expected = pd.DataFrame(pd.concat([pd.DataFrame(k) for k in kept]).to_numpy())
    pd.testing.assert_frame_equal(pd.DataFrame(features), expected)
    kept_target = [full_target[:53], full_target[53 + 143 - 80 : 53 + 143], full_target[-80:]]
    assert (target == pd.concat([pd.Series(k) for k in kept_target]).to_numpy()).all()
