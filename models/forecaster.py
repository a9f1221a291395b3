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
from models.covariates import (
    Covariate,
    CovariateError,
    covariate_features,
    feature_group,
    parse_covariates,
    require_future,
    validate_covariates,
)
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
        self.covariates: tuple[Covariate, ...] = parse_covariates(config.covariates)
        # categorical covariates: the categories the trees saw, in code order (set by fit)
        self.categories_: dict[str, list[str]] = {}

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
        if not self.covariates:
            return required_columns(panel)  # no exogenous columns: no copy of the whole panel
        return self._covariate_columns(panel)

    # -- covariates -----------------------------------------------------------------------
    def future_columns(self) -> list[str]:
        """The known-in-advance covariates a forecast needs values of for every future date."""
        return [c.name for c in self.covariates if c.dynamic]

    def _valued(self) -> list[Covariate]:
        return [c for c in self.covariates if c.kind != "calendar"]

    def _static_names(self) -> list[str]:
        return [c.name for c in self.covariates if c.kind == "static"]

    def _covariate_columns(self, panel: pd.DataFrame) -> pd.DataFrame:
        """The panel's required and declared covariate columns, their values checked: a
        history row without a valid value is an error naming it (the ingestion layer
        quarantines such rows before they reach a model)."""
        names = [c.name for c in self._valued()]
        absent = [n for n in names if n not in panel.columns]
        if absent:
            raise CovariateError(f"the history has no column for covariates {absent}")
        if not names:
            return required_columns(panel)
        good, bad = validate_covariates(panel[["unique_id", "ds", *names]], self._valued())
        if not bad.empty:
            shown = bad.head(5)[["unique_id", "ds", "reason"]].to_dict("records")
            raise CovariateError(
                f"{len(bad)} history row(s) with bad covariate values, e.g. {shown}"
            )
        out = panel[["unique_id", "ds", "y"]].copy()
        for name in names:
            out[name] = good[name].to_numpy()
        return out

    def _seasonal_lag(self) -> int | None:
        return self.config.season_length if self.config.season_length > 1 else None

    def _with_features(self, panel: pd.DataFrame) -> pd.DataFrame:
        return covariate_features(
            panel, self.covariates, categories=self.categories_, seasonal_lag=self._seasonal_lag()
        )

    def _learn_categories(self, panel: pd.DataFrame) -> None:
        self.categories_ = {
            c.name: list(c.categories) or sorted(panel[c.name].astype(str).unique())
            for c in self.covariates
            if c.type == "categorical"
        }

    def _expected_future(self, panel: pd.DataFrame, h: int) -> pd.DataFrame:
        """Every series' next `h` timestamps after its last observation."""
        offset = pd.tseries.frequencies.to_offset(self.config.freq)
        last = panel.groupby("unique_id", sort=False)["ds"].max()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
            dates = [last + step * offset for step in range(1, h + 1)]
        frame = pd.DataFrame(
            {
                "unique_id": np.tile(last.index.to_numpy(), h),
                "ds": pd.concat(dates, ignore_index=True).to_numpy(),
            }
        )
        return frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)

    def _prediction_frames(
        self, panel: pd.DataFrame, h: int, future: pd.DataFrame | None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(history with its features, the horizon's dynamic features) for mlforecast's
        `new_df` and `X_df`; a missing known-in-advance value raises, naming it."""
        values = require_future(future, self._expected_future(panel, h), self.covariates)
        static = panel.groupby("unique_id", sort=False)[self._static_names()].first()
        values = values.join(static, on="unique_id")
        both = pd.concat([panel, values.assign(y=np.nan)], ignore_index=True)
        is_future = np.r_[np.zeros(len(panel), bool), np.ones(len(values), bool)]
        order = np.lexsort((both["ds"].to_numpy(), both["unique_id"].to_numpy()))
        both, is_future = both.iloc[order].reset_index(drop=True), is_future[order]
        featured = self._with_features(both)
        dynamic = [c for c in featured.columns if c not in ("y", *self._static_names())]
        history = featured.loc[~is_future].reset_index(drop=True)
        return history, featured.loc[is_future, dynamic].reset_index(drop=True)

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
        if self.covariates:
            self._learn_categories(panel)
        features, target = self._training_matrix(
            self._with_features(panel) if self.covariates else panel
        )
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
        # the categories of a categorical covariate are the whole panel's (set beforehand)
        return self._training_matrix(self._with_features(panel) if self.covariates else panel)

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
        categories: dict[str, list[str]] | None = None,
    ) -> LightGBMForecaster:
        """A fitted model from parts computed elsewhere (e.g. on Dask workers): the trained
        regressor, the recent tail of every series (`_recent`), the interval scales and, with
        categorical covariates, the whole panel's categories in code order (`categories_`).
        It forecasts as the model `fit` on the same panel would; no interval calibration."""
        if config.interval_windows:
            raise ValueError("an assembled model has no interval calibration; interval_windows=0")
        model = cls(config)
        model.categories_ = dict(categories or {})  # those the trees were trained with
        model.log_target_, model.device_ = log_target, device
        model._mlf = model._build(log_target, device)
        # mlforecast forecasts from `new_df` (see `_forecast`) but wants its feature layout
        # from a preprocess: the first series' tail is enough to set it.
        first = history["unique_id"].iloc[0]
        tail = history[history["unique_id"] == first].reset_index(drop=True)
        model._training_matrix(model._with_features(tail) if model.covariates else tail)
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
        extra = {"static_features": self._static_names()} if self.covariates else {}
        frame, target = self._mlf.preprocess(
            panel, return_X_y=True, as_numpy=False, dropna=False, validate_data=False, **extra
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
            max_series=cfg.selection_series,
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
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast `h` periods after each series' last observation.

        With `history` (a long panel of recent observations, possibly of series unseen at fit
        time) the forecasts start after the history and nothing is refitted. `future` holds
        the known-in-advance covariates' values for the horizon (`unique_id` or none for all
        series, `ds`, one column each); a model with such covariates refuses a horizon
        without them (`MissingFutureCovariatesError`). Output: `unique_id`, `ds`, `yhat` and
        `yhat_lo_L` / `yhat_hi_L` for each level L.
        """
        self._require_fitted()
        panel = self.history_ if history is None else self.validate_history(history)
        return self._forecast(h, panel, levels, from_history=history is not None, future=future)

    def predict_validated(
        self,
        h: int,
        panel: pd.DataFrame,
        levels: Sequence[float] | None = None,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """`predict(h, levels, history=panel)` for a history `validate_history` (or
        `validate_panel` at this model's frequency with `min_length` of at least
        `min_forecast_history()`) already checked; a combined model validates once for all
        its members."""
        panel = self._covariate_columns(panel) if self.covariates else required_columns(panel)
        return self._forecast(h, panel, levels, from_history=True, future=future)

    def _forecast(
        self,
        h: int,
        panel: pd.DataFrame,
        levels: Sequence[float] | None,
        *,
        from_history: bool,
        future: pd.DataFrame | None = None,
        callback: Any = None,
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
            if self.covariates:
                new_df, x_df = self._prediction_frames(panel, h, future)
                raw = mlf.predict(h, new_df=new_df, X_df=x_df, before_predict_callback=callback)
            else:
                raw = mlf.predict(h, new_df=panel, before_predict_callback=callback)
        forecasts = raw[["unique_id", "ds", "yhat"]].sort_values(["unique_id", "ds"])
        forecasts = forecasts.reset_index(drop=True)
        if not levels:
            return forecasts
        scales = series_scales(panel, self.config.season_length) if from_history else self.scales_
        return self.intervals_.apply(forecasts, scales, levels)

    def explain(
        self, h: int, history: pd.DataFrame | None = None, future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Per forecast, the contribution of each feature group from LightGBM's `pred_contrib`.

        Groups: `history` (lags and rolling means of the target), `calendar` (date features)
        and each covariate by name (a calendar covariate's flag and days to / from a holiday,
        a known-in-advance covariate and its seasonal lag). Contributions are in the space
        the trees predict, after the target transforms: `log1p(y)` when `log_target_`, then
        the `differences` (by default the seasonal difference), then local scaling if set.
        `base + sum(groups) == raw`, the trees' output for that step; `yhat` is the forecast
        after the transforms are undone. Output: `unique_id`, `ds`, `base`, one column per
        group, `raw`, `yhat`.
        """
        mlf = self._require_fitted()
        panel = self.history_ if history is None else self.validate_history(history)
        steps: list[pd.DataFrame] = []

        def capture(features: pd.DataFrame) -> pd.DataFrame:
            steps.append(features.copy())
            return features

        forecasts = self._forecast(
            h, panel, None, from_history=history is not None, future=future, callback=capture
        )
        booster = mlf.models_["yhat"].booster_
        names = list(steps[0].columns)
        groups = [feature_group(n, self.covariates, self.config.date_features) for n in names]
        order = ["history", "calendar", *(c.name for c in self.covariates)]
        kept = [g for g in order if g in groups]
        # The features of each step come one row per series, in the order of mlforecast's
        # series (sorted ids, as the forecasts are).
        uids = forecasts["unique_id"].drop_duplicates().to_numpy()
        if any(len(features) != len(uids) for features in steps) or len(steps) != h:
            raise RuntimeError("the captured features do not match the forecast's series")
        parts = []
        for step, features in enumerate(steps):
            matrix = np.ascontiguousarray(features[names].to_numpy(dtype=np.float32))
            contrib = booster.predict(matrix, pred_contrib=True)
            frame = pd.DataFrame({"unique_id": uids, "step": step})
            frame["base"] = contrib[:, -1]
            for group in kept:
                columns = [i for i, g in enumerate(groups) if g == group]
                frame[group] = contrib[:, columns].sum(axis=1)
            frame["raw"] = contrib.sum(axis=1)
            parts.append(frame)
        out = pd.concat(parts, ignore_index=True)
        forecasts = forecasts.assign(step=forecasts.groupby("unique_id").cumcount())
        out = out.merge(forecasts, on=["unique_id", "step"], validate="one_to_one")
        out = out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        return out[["unique_id", "ds", "base", *kept, "raw", "yhat"]]

    def feature_importance(self) -> pd.DataFrame:
        """Global importance of each feature group (the groups of `explain`): the trees' total
        split gain over the group's features and its share of all gain. Output: `group`,
        `gain`, `share`, groups in `explain`'s order (`history`, `calendar`, covariates)."""
        mlf = self._require_fitted()
        booster = mlf.models_["yhat"].booster_
        names = list(mlf.ts.features_order_)  # the booster's own names are Column_<i>
        if len(names) != booster.num_feature():
            raise RuntimeError("the model's features do not match its booster's")
        gains = booster.feature_importance(importance_type="gain")
        groups = [feature_group(n, self.covariates, self.config.date_features) for n in names]
        by_group = pd.Series(gains, index=groups, dtype=float).groupby(level=0).sum()
        order = ["history", "calendar", *(c.name for c in self.covariates)]
        by_group = by_group.reindex([g for g in order if g in by_group.index])
        total = float(by_group.sum())
        share = by_group / total if total > 0 else by_group * 0.0
        return pd.DataFrame(
            {"group": by_group.index, "gain": by_group.to_numpy(), "share": share.to_numpy()}
        )

    def update(self, new_obs: pd.DataFrame) -> LightGBMForecaster:
        """Append observations that continue the stored series (or start new ones).

        The trees are not retrained; the next `predict` starts after the new observations.
        """
        self._require_fitted()
        new = validate_panel(new_obs, freq=self.config.freq)
        new = self._covariate_columns(new) if self.covariates else required_columns(new)
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
            "categories": self.categories_,
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
        model.categories_ = meta.get("categories", {})
        with open(directory / "mlforecast.pkl", "rb") as file:
            model._mlf = cloudpickle.load(file)
        model.scales_ = pd.read_parquet(directory / "scales.parquet")["scale"]
        model.history_ = pd.read_parquet(directory / "history.parquet")
        if (directory / "intervals.npz").exists():
            model.intervals_ = ConformalIntervals.load(directory / "intervals.npz")
        return model
