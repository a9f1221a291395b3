"""The global LightGBM forecaster: one model over all series, recursive multi-step forecasts.

Features and recursion come from mlforecast; training calls `lgb.train` directly on a float32
matrix, which is cheaper than the sklearn wrapper on a pandas frame. Prediction intervals are
conformal, calibrated at fit time from rolling-origin refits (see `models.intervals`).
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import cloudpickle
import lightgbm as lgb
import numpy as np
import pandas as pd
from mlforecast import MLForecast
from mlforecast.lag_transforms import RollingMean
from mlforecast.target_transforms import (
    Differences,
    GlobalSklearnTransformer,
    LocalStandardScaler,
)
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.preprocessing import FunctionTransformer

from models.backtest import backtest, calibration_subset
from models.config import ForecasterConfig, default_config
from models.device import resolve_device
from models.intervals import ConformalIntervals, series_scales
from models.validation import required_columns, validate_panel

__all__ = ["BoosterRegressor", "LightGBMForecaster"]

logger = logging.getLogger(__name__)
_FORMAT_VERSION = 1


class BoosterRegressor(RegressorMixin, BaseEstimator):
    """Minimal regressor around `lgb.train`: float32 features, raw data freed after binning."""

    def __init__(self, params: dict[str, Any] | None = None, num_boost_round: int = 100):
        self.params = params
        self.num_boost_round = num_boost_round

    def fit(self, X, y) -> BoosterRegressor:
        features = np.ascontiguousarray(X, dtype=np.float32)
        params = dict(self.params or {})
        data = lgb.Dataset(
            features,
            label=np.asarray(y, dtype=np.float32),
            params={"max_bin": params.get("max_bin", 255), "verbosity": -1},
            free_raw_data=True,
        )
        self.booster_ = lgb.train(params, data, num_boost_round=self.num_boost_round)
        return self

    def predict(self, X) -> np.ndarray:
        features = np.ascontiguousarray(X, dtype=np.float32)
        return self.booster_.predict(features, num_threads=self.params.get("num_threads", 0))


def _log_transform() -> GlobalSklearnTransformer:
    return GlobalSklearnTransformer(
        FunctionTransformer(func=np.log1p, inverse_func=np.expm1, check_inverse=False)
    )


class LightGBMForecaster:
    """Global LightGBM model with the fit / predict / update / save / load interface."""

    name: ClassVar[str] = "lightgbm"

    def __init__(self, config: ForecasterConfig):
        self.config = config
        self.log_target_: bool | None = None
        self.device_: str | None = None
        self.intervals_: ConformalIntervals | None = None
        self.scales_: pd.Series | None = None
        self.history_: pd.DataFrame | None = None
        self._mlf: MLForecast | None = None

    @classmethod
    def from_defaults(
        cls, freq: str, season_length: int, horizon: int, **overrides: Any
    ) -> LightGBMForecaster:
        return cls(default_config(freq, season_length, horizon, **overrides))

    # -- training -------------------------------------------------------------------------
    def _min_history(self) -> int:
        return sum(self.config.differences) + 1

    def validate_history(self, df: pd.DataFrame, *, copy: bool = True) -> pd.DataFrame:
        """`df` validated as this model fits on it and `predict_validated` takes it: at the
        model's frequency, every series at least `min_forecast_history()` long (`copy` as in
        `validate_panel`)."""
        panel = validate_panel(df, freq=self.config.freq, min_length=self._min_history(), copy=copy)
        return required_columns(panel)  # no exogenous columns: no copy of the whole panel

    def _build(self, log_target: bool, device: str) -> MLForecast:
        cfg = self.config
        transforms: list = [_log_transform()] if log_target else []
        if cfg.differences:
            transforms.append(Differences(list(cfg.differences)))
        if cfg.local_scaling:
            transforms.append(LocalStandardScaler())
        lag_transforms: dict[int, list] = {}
        for lag, window in cfg.rolling_means:
            lag_transforms.setdefault(lag, []).append(RollingMean(window_size=window))
        params = {**cfg.lgb_params, "num_threads": cfg.num_threads}
        if device == "gpu":
            params["device_type"] = "gpu"
        model = BoosterRegressor(params=params, num_boost_round=cfg.num_boost_round)
        return MLForecast(
            models={"yhat": model},
            freq=cfg.freq,
            lags=list(cfg.lags),
            lag_transforms=lag_transforms or None,
            date_features=list(cfg.date_features) or None,
            target_transforms=transforms or None,
            num_threads=1,
        )

    def _resolve_log_target(self, panel: pd.DataFrame) -> bool:
        return self.log_target_for(has_negative=bool((panel["y"] < 0).any()))

    def log_target_for(self, *, has_negative: bool) -> bool:
        """Whether the model learns log1p(y), for a training panel with or without negative y."""
        mode = self.config.target_transform
        if mode == "log1p" and has_negative:
            raise ValueError("target_transform='log1p' needs non-negative y; found negative values")
        return mode == "log1p" or (mode == "auto" and not has_negative)

    def fit(self, df: pd.DataFrame) -> LightGBMForecaster:
        """Validate the panel, calibrate intervals (if configured) and train on all of it."""
        panel = self.validate_history(df)
        self.log_target_ = self._resolve_log_target(panel)
        self.device_ = resolve_device(self.config.device)
        if self.config.interval_windows:
            self.intervals_ = self._calibrate(panel)
        self._mlf = self._build(self.log_target_, self.device_)
        features, target = self._training_matrix(panel)
        if len(target) == 0:
            raise ValueError(
                "no training rows: every series is consumed by differencing "
                f"{self.config.differences}"
            )
        self._mlf.fit_models(features, target)
        self.scales_ = series_scales(panel, self.config.season_length)
        self.history_ = self._recent(panel)
        return self

    def training_rows(
        self, panel: pd.DataFrame, *, log_target: bool, device: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """The float32 features and target that `fit` trains on, for a validated panel (or a
        part of one holding whole series: the features of a series depend on it alone)."""
        self.log_target_, self.device_ = log_target, device
        self._mlf = self._build(log_target, device)
        return self._training_matrix(panel)

    def untrained_regressor(self, *, log_target: bool, device: str) -> BoosterRegressor:
        """The regressor `fit` trains, before training (its parameters follow the config)."""
        return clone(self._build(log_target, device).models["yhat"])

    @classmethod
    def assemble(
        cls,
        config: ForecasterConfig,
        *,
        log_target: bool,
        device: str,
        regressor: BoosterRegressor,
        history: pd.DataFrame,
        scales: pd.Series,
    ) -> LightGBMForecaster:
        """A fitted model from parts computed elsewhere (e.g. on Dask workers): the trained
        regressor, the recent tail of every series (`_recent`) and the interval scales. It
        forecasts as the model `fit` on the same panel would; no interval calibration."""
        if config.interval_windows:
            raise ValueError("an assembled model has no interval calibration; interval_windows=0")
        model = cls(config)
        model.log_target_, model.device_ = log_target, device
        model._mlf = model._build(log_target, device)
        # mlforecast forecasts from `new_df` (see `_forecast`) but wants its feature layout
        # from a preprocess: the first series' tail is enough to set it.
        first = history["unique_id"].iloc[0]
        model._training_matrix(history[history["unique_id"] == first].reset_index(drop=True))
        model._mlf.models_ = {"yhat": regressor}
        model.history_, model.scales_ = history, scales
        return model

    def recent(self, panel: pd.DataFrame) -> pd.DataFrame:
        """The tail of every series that the next forecast's features reach (`history_`)."""
        return self._recent(panel)

    def _training_matrix(self, panel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Float32 features and target of the rows in each series' training window.

        Features are built from the window plus the warm-up its lags and differences reach
        back to, so rows in the window get exactly the features the full history would give.
        """
        window = self.config.train_window
        in_window = None
        if window is not None:
            from_end = panel.groupby("unique_id", sort=False).cumcount(ascending=False).to_numpy()
            if (from_end >= window).any():
                needed = from_end < window + self._warmup()
                panel = panel.loc[needed].reset_index(drop=True)
                in_window = from_end[needed] < window
        # dropna=False keeps rows whose older lags are missing (LightGBM handles NaN), so short
        # series still train; rows without a (transformed) target are always dropped.
        frame, target = self._mlf.preprocess(
            panel, return_X_y=True, as_numpy=False, dropna=False, validate_data=False
        )  # validate_panel has already checked what mlforecast's validation would
        # straight to float32: no float64 copy of the matrix next to the one LightGBM bins
        features = frame.to_numpy(dtype=np.float32)
        if in_window is not None:
            # the frame keeps the row labels of `panel` (a RangeIndex) for the rows it kept
            rows = frame.index.to_numpy()
            keep = in_window[rows]
            features, target = features[keep], target[keep]
        return features, target

    def _feature_reach(self) -> int:
        """How many periods back the lag and rolling-mean features look."""
        cfg = self.config
        return max([*cfg.lags, *(lag + window for lag, window in cfg.rolling_means), 1])

    def _warmup(self) -> int:
        """Points before a row that its features and transformed target depend on."""
        return self._feature_reach() + sum(self.config.differences)

    def min_forecast_history(self) -> int:
        """Fewest observations a series needs for `predict(history=...)` to forecast it."""
        return self._min_history()

    def required_history(self) -> int:
        """Points a series needs before a cutoff for this model to fit on it with every
        feature (lags, rolling means, differences) defined, its interval-calibration
        backtest included."""
        return self.config.interval_windows * self.config.horizon + self._warmup() + 1

    def _calibrate(self, panel: pd.DataFrame) -> ConformalIntervals:
        """Conformal residuals from rolling-origin refits on the series long enough for them."""
        cfg = self.config
        calibration, n_windows = calibration_subset(
            panel,
            h=cfg.horizon,
            max_windows=cfg.interval_windows,
            min_train=self._min_history() + 1,
        )
        logger.info(
            "calibrating intervals on %d of %d series over %d window(s)",
            calibration["unique_id"].nunique(),
            panel["unique_id"].nunique(),
            n_windows,
        )
        # the refits reuse the device resolved for this fit instead of probing again
        inner = {**cfg.to_dict(), "interval_windows": 0, "device": self.device_}
        config = ForecasterConfig.from_dict(inner)
        residuals = backtest(
            lambda: LightGBMForecaster(config), calibration, h=cfg.horizon, n_windows=n_windows
        )
        return ConformalIntervals.calibrate(residuals, calibration, cfg.season_length)

    # -- forecasting ----------------------------------------------------------------------
    def _require_fitted(self) -> MLForecast:
        if self._mlf is None:
            raise RuntimeError("LightGBMForecaster is not fitted; call fit or load first")
        return self._mlf

    def predict(
        self,
        h: int,
        levels: Sequence[float] | None = None,
        history: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast `h` periods after each series' last observation.

        With `history` (a long panel of recent observations, possibly of series unseen at fit
        time) the forecasts start after the history and nothing is refitted. Output:
        `unique_id`, `ds`, `yhat` and `yhat_lo_L` / `yhat_hi_L` for each level L.
        """
        self._require_fitted()
        panel = self.history_ if history is None else self.validate_history(history)
        return self._forecast(h, panel, levels, from_history=history is not None)

    def predict_validated(
        self, h: int, panel: pd.DataFrame, levels: Sequence[float] | None = None
    ) -> pd.DataFrame:
        """`predict(h, levels, history=panel)` for a history `validate_history` (or
        `validate_panel` at this model's frequency with `min_length` of at least
        `min_forecast_history()`) already checked; a combined model validates once for all
        its members."""
        return self._forecast(h, required_columns(panel), levels, from_history=True)

    def _forecast(
        self, h: int, panel: pd.DataFrame, levels: Sequence[float] | None, *, from_history: bool
    ) -> pd.DataFrame:
        mlf = self._require_fitted()
        if h < 1:
            raise ValueError(f"h must be >= 1, got {h}")
        if levels and self.intervals_ is None:
            raise ValueError("this model has no interval calibration (interval_windows=0)")
        if from_history and self.log_target_ and (panel["y"] < 0).any():
            bad = sorted(panel.loc[panel["y"] < 0, "unique_id"].unique())[:10]
            raise ValueError(f"the model was trained on non-negative y; negative y in {bad}")
        # Forecasting from a history frame (rather than mlforecast's internal state) is what
        # lets `update` and unseen series share one code path.
        with warnings.catch_warnings():
            # Short histories leave old lags empty; the trees were trained with such gaps
            # (dropna=False) and route missing values, so mlforecast's warning is only noise.
            warnings.filterwarnings("ignore", "Found null values", UserWarning)
            raw = mlf.predict(h, new_df=panel)
        forecasts = raw[["unique_id", "ds", "yhat"]].sort_values(["unique_id", "ds"])
        forecasts = forecasts.reset_index(drop=True)
        if not levels:
            return forecasts
        scales = series_scales(panel, self.config.season_length) if from_history else self.scales_
        return self.intervals_.apply(forecasts, scales, levels)

    def update(self, new_obs: pd.DataFrame) -> LightGBMForecaster:
        """Append observations that continue the stored series (or start new ones).

        The trees are not retrained; the next `predict` starts after the new observations.
        """
        self._require_fitted()
        new = required_columns(validate_panel(new_obs, freq=self.config.freq))
        last_known = self.history_.groupby("unique_id")["ds"].max()
        stale = new["ds"] <= new["unique_id"].map(last_known)
        if stale.any():
            rows = new.loc[stale, ["unique_id", "ds"]].head(5).to_dict("records")
            raise ValueError(f"update rows must come after the stored observations, got {rows}")
        combined = validate_panel(pd.concat([self.history_, new]), freq=self.config.freq)
        self.history_ = self._recent(combined)
        unseen = new.loc[~new["unique_id"].isin(self.scales_.index)]
        if not unseen.empty:
            extra = series_scales(unseen, self.config.season_length)
            self.scales_ = pd.concat([self.scales_, extra])
        return self

    def _recent(self, panel: pd.DataFrame) -> pd.DataFrame:
        """The tail of every series that the features of the next forecast can reach."""
        keep = self._warmup() + 2 * self.config.season_length + 1
        return panel.groupby("unique_id", sort=False).tail(keep).reset_index(drop=True)

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the model to a directory; `load` restores identical predictions."""
        mlf = self._require_fitted()
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "format_version": _FORMAT_VERSION,
            "class": type(self).__name__,
            "config": self.config.to_dict(),
            "log_target": self.log_target_,
            "device": self.device_,
        }
        (directory / "forecaster.json").write_text(json.dumps(meta, indent=2))
        # The whole pipeline (features state, transforms, trees) in one pickle: MLForecast.save
        # expects attributes that only MLForecast.fit sets.
        with open(directory / "mlforecast.pkl", "wb") as file:
            cloudpickle.dump(mlf, file)
        self.scales_.rename("scale").to_frame().to_parquet(directory / "scales.parquet")
        self.history_.to_parquet(directory / "history.parquet", index=False)
        if self.intervals_ is not None:
            self.intervals_.save(directory / "intervals.npz")

    @classmethod
    def load(cls, path: str | Path) -> LightGBMForecaster:
        directory = Path(path)
        meta = json.loads((directory / "forecaster.json").read_text())
        if meta.get("format_version") != _FORMAT_VERSION:
            raise ValueError(f"{path}: unsupported format version {meta.get('format_version')}")
        model = cls(ForecasterConfig.from_dict(meta["config"]))
        model.log_target_ = meta["log_target"]
        model.device_ = meta["device"]
        with open(directory / "mlforecast.pkl", "rb") as file:
            model._mlf = cloudpickle.load(file)
        model.scales_ = pd.read_parquet(directory / "scales.parquet")["scale"]
        model.history_ = pd.read_parquet(directory / "history.parquet")
        if (directory / "intervals.npz").exists():
            model.intervals_ = ConformalIntervals.load(directory / "intervals.npz")
        return model
