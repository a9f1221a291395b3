"""The default model: LightGBM averaged with statistical forecasters when that backtests better.

At fit time a rolling-origin backtest on the training data scores LightGBM alone and every
equal-weight average of LightGBM with a subset of `config.combine_with` (ETS, Theta); the most
accurate (mean MASE) is kept. The same backtest residuals calibrate conformal intervals, so the
combination has intervals for any series, seen or not.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from models.backtest import (
    calibration_subset,
    fit_and_forecast,
    future_covariates,
    split_windows,
)
from models.baselines import BASELINES, StatisticalForecaster
from models.config import ForecasterConfig, default_config
from models.forecaster import LightGBMForecaster
from models.intervals import ConformalIntervals, series_scales
from models.metrics import per_series_metrics
from models.validation import required_columns, validate_panel

__all__ = ["CombinedForecaster"]

logger = logging.getLogger(__name__)
_FORMAT_VERSION = 1
LIGHTGBM = LightGBMForecaster.name


# (model key, make a fresh member, training frame, h, local=...) -> point forecasts
MemberForecast = Callable[..., pd.DataFrame]


def _average(forecasts: list[pd.DataFrame], members: Sequence[str]) -> pd.DataFrame:
    """Equal-weight mean of the members' point forecasts (same series and dates each)."""
    out = forecasts[0][["unique_id", "ds"]].copy()
    for name, forecast in zip(members, forecasts, strict=True):
        if not forecast[["unique_id", "ds"]].equals(out):
            raise RuntimeError(f"member {name} forecast other series or dates than the rest")
    out["yhat"] = sum(f["yhat"].to_numpy() for f in forecasts) / len(forecasts)
    return out


class CombinedForecaster:
    """Equal-weight average of LightGBM and the statistical members a backtest selected."""

    name: ClassVar[str] = "lightgbm_combined"

    def __init__(self, config: ForecasterConfig, *, n_jobs: int = 1):
        unknown = sorted(set(config.combine_with) - set(BASELINES))
        if unknown:
            raise ValueError(
                f"unknown combine_with members {unknown}; choose from {list(BASELINES)}"
            )
        self.config = config
        # Worker processes the statistical members estimate their series with at fit time
        # (1: this process; more need a main module that is safe to import, see baselines).
        self.n_jobs = n_jobs
        self.members_: tuple[str, ...] = ()
        self.selection_scores_: dict[str, float] = {}
        self.intervals_: ConformalIntervals | None = None
        self.scales_: pd.Series | None = None
        self._models: dict[str, Any] = {}

    @classmethod
    def from_defaults(
        cls, freq: str, season_length: int, horizon: int, **overrides: Any
    ) -> CombinedForecaster:
        return cls(default_config(freq, season_length, horizon, **overrides))

    def _new_member(self, name: str) -> LightGBMForecaster | StatisticalForecaster:
        cfg = self.config
        if name == LIGHTGBM:
            return LightGBMForecaster(
                ForecasterConfig.from_dict({**cfg.to_dict(), "interval_windows": 0})
            )
        options = {"model": cfg.ets_model, "damped": cfg.ets_damped} if name == "ets" else {}
        return BASELINES[name](
            cfg.freq,
            cfg.season_length,
            n_jobs=self.n_jobs,
            max_history=cfg.member_window,
            **options,
        )

    def _candidates(self) -> list[tuple[str, ...]]:
        extras = self.config.combine_with
        subsets = [c for r in range(len(extras) + 1) for c in itertools.combinations(extras, r)]
        return [(LIGHTGBM, *subset) for subset in subsets]

    def _member_key(self, name: str) -> str:
        """Everything that decides how member `name` fits (a ForecastCache key)."""
        member = self._new_member(name)
        if isinstance(member, LightGBMForecaster):
            config = member.config.to_dict()
            for combined_only in (
                "combine_with",
                "member_window",
                "selection_windows",
                "ets_model",
                "ets_damped",
            ):
                config.pop(combined_only)  # what LightGBM itself never reads
            return json.dumps({"member": name, "config": config}, sort_keys=True)
        settings = {"member": name, **member.settings()}
        settings.pop("n_jobs")  # how many processes estimate, not what they estimate
        return json.dumps(settings, sort_keys=True)

    def future_columns(self) -> list[str]:
        """The known-in-advance covariates a forecast needs values of (for the LightGBM
        member; the statistical members ignore covariates)."""
        return self._new_member(LIGHTGBM).future_columns()

    def _panel(self, panel: pd.DataFrame) -> pd.DataFrame:
        """The validated panel's columns the members use: the required ones and, when the
        LightGBM member has covariates, theirs (checked there)."""
        if not self.config.covariates:
            return required_columns(panel)
        return self._new_member(LIGHTGBM).validate_history(panel, copy=False)

    def _member_forecast(
        self,
        forecast: MemberForecast,
        name: str,
        train: pd.DataFrame,
        h: int,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        local = name != LIGHTGBM  # the statistical members fit each series on its own
        if local:
            train = required_columns(train)  # and ignore covariates
        extra = {"future": future} if future is not None and not local else {}
        return forecast(
            self._member_key(name), lambda: self._new_member(name), train, h, local=local, **extra
        )

    def _member_backtest(
        self, panel: pd.DataFrame, forecast: MemberForecast | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Point forecasts of every member over the selection windows, aligned with actuals."""
        cfg = self.config
        forecast = forecast or fit_and_forecast
        subset, n_windows = calibration_subset(
            panel,
            h=cfg.horizon,
            max_windows=max(cfg.selection_windows, cfg.interval_windows),
            min_train=LightGBMForecaster(cfg)._min_history() + 1,
            max_series=cfg.selection_series,
        )
        logger.info(
            "selection backtest on %d of %d series over %d window(s)",
            subset["unique_id"].nunique(),
            panel["unique_id"].nunique(),
            n_windows,
        )
        members = sorted({m for c in self._candidates() for m in c})
        windows = []
        for _, train, test in split_windows(subset, h=cfg.horizon, n_windows=n_windows):
            actual = test[["unique_id", "ds", "cutoff", "y"]].reset_index(drop=True)
            future = future_covariates(self, test)
            for name in members:
                predicted = self._member_forecast(forecast, name, train, cfg.horizon, future)
                merged = actual.merge(predicted, on=["unique_id", "ds"], validate="one_to_one")
                if len(merged) != len(actual):
                    raise ValueError(f"{name} returned forecasts misaligned with the backtest")
                actual[name] = merged["yhat"].to_numpy()
            windows.append(actual)
        return pd.concat(windows, ignore_index=True), subset

    def _candidate_mase(self, scored: pd.DataFrame, subset: pd.DataFrame) -> pd.DataFrame:
        """Backtest MASE of every candidate (a column each, named `a+b`), one row per series
        and window: per series, so that parts of a panel can be scored apart."""
        columns = {}
        for candidate in self._candidates():
            forecasts = scored[["unique_id", "ds", "cutoff", "y"]].assign(
                yhat=scored[list(candidate)].mean(axis=1)
            )
            metrics = per_series_metrics(forecasts, subset, season_length=self.config.season_length)
            columns["+".join(candidate)] = metrics["mase"].to_numpy()
        return pd.DataFrame(columns)

    def _choose(self, candidate_mase: pd.DataFrame) -> None:
        """Keep the candidate with the lowest mean backtest MASE (the first of equals)."""
        best_score, best = float("inf"), (LIGHTGBM,)
        self.selection_scores_ = {}
        for candidate in self._candidates():
            score = float(candidate_mase["+".join(candidate)].mean())
            self.selection_scores_["+".join(candidate)] = score
            if score < best_score:
                best_score, best = score, candidate
        self.members_ = best
        logger.info("combined model members %s (backtest MASE %.4f)", best, best_score)

    def _residuals(self, scored: pd.DataFrame) -> pd.DataFrame:
        """The backtest rows with the chosen members' average as `yhat`."""
        return scored.assign(yhat=scored[list(self.members_)].mean(axis=1))

    def _select(self, scored: pd.DataFrame, subset: pd.DataFrame) -> None:
        """Keep the candidate with the lowest backtest MASE; calibrate its intervals."""
        self._choose(self._candidate_mase(scored, subset))
        self.intervals_ = ConformalIntervals.calibrate(
            self._residuals(scored), subset, self.config.season_length
        )

    def fit(
        self, df: pd.DataFrame, *, forecast: MemberForecast | None = None
    ) -> CombinedForecaster:
        """Select the members by backtest, calibrate intervals, then fit them on all the data.

        `forecast` (e.g. a `models.backtest.ForecastCache`) computes the selection backtest's
        member forecasts, so that a later backtest can reuse them.
        """
        panel = self._panel(validate_panel(df, freq=self.config.freq))
        scored, subset = self._member_backtest(panel, forecast)
        self._select(scored, subset)
        self._models = {name: self._new_member(name).fit(panel) for name in self.members_}
        self.scales_ = series_scales(panel, self.config.season_length)
        return self

    def backtest_forecast(
        self,
        train: pd.DataFrame,
        h: int,
        *,
        levels: Sequence[float] | None = None,
        forecast: MemberForecast,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """What `fit(train).predict(h, levels)` returns, with every member forecast (those of
        the selection backtest and the final ones) taken from `forecast(model_key, make,
        train, h)`, e.g. a `models.backtest.ForecastCache` shared across backtest windows.

        The selection and calibration are the ones `fit` makes on `train`, from the same
        member forecasts; nothing of the final fit is kept (the model stays unfitted).
        """
        panel = self._panel(validate_panel(train, freq=self.config.freq))
        scored, subset = self._member_backtest(panel, forecast)
        self._select(scored, subset)
        forecasts = [
            self._member_forecast(forecast, name, panel, h, future) for name in self.members_
        ]
        out = _average(forecasts, self.members_)
        if not levels:
            return out
        return self.intervals_.apply(out, series_scales(panel, self.config.season_length), levels)

    def min_forecast_history(self) -> int:
        """Fewest observations a series needs for `predict(history=...)` to forecast it."""
        return max(self._new_member(name).min_forecast_history() for name in self._candidates()[-1])

    def required_history(self) -> int:
        """Points a series needs before a cutoff for this model to fit on it with every
        feature defined, its own selection and interval-calibration backtests included."""
        cfg = self.config
        lightgbm = self._new_member(LIGHTGBM)
        return max(cfg.selection_windows, cfg.interval_windows, 1) * cfg.horizon + (
            lightgbm.required_history()
        )

    def predict(
        self,
        h: int,
        levels: Sequence[float] | None = None,
        history: pd.DataFrame | None = None,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Average of the members' forecasts (+ conformal intervals for `levels`); `future`:
        the known-in-advance covariate values of the horizon (see LightGBMForecaster)."""
        self._require_fitted()
        if history is not None:
            return self.predict_validated(h, self.validate_history(history), levels, future)
        out = _average(
            [self._member_predict(name, h, future) for name in self.members_], self.members_
        )
        if not levels:
            return out
        return self.intervals_.apply(out, self.scales_, levels)

    def validate_history(self, history: pd.DataFrame, *, copy: bool = True) -> pd.DataFrame:
        """`history` validated once for every member, as `predict_validated` takes it: at
        this model's frequency, each series as long as the members need (`copy` as in
        `validate_panel`)."""
        self._require_fitted()
        needed = max(self._models[n].min_forecast_history() for n in self.members_)
        panel = validate_panel(history, freq=self.config.freq, min_length=needed, copy=copy)
        return self._panel(panel)

    def _member_predict(self, name: str, h: int, future: pd.DataFrame | None) -> pd.DataFrame:
        if name == LIGHTGBM and self.config.covariates:
            return self._models[name].predict(h, future=future)
        return self._models[name].predict(h)

    def predict_validated(
        self,
        h: int,
        panel: pd.DataFrame,
        levels: Sequence[float] | None = None,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """`predict(h, levels, history=panel)` for a history `validate_history` already
        checked (a caller that holds a large history validates it, lets its own frame go,
        then forecasts, so that the history is never held twice)."""
        self._require_fitted()
        panel = self._panel(panel)
        forecasts = [
            self._models[n].predict_validated(h, panel, future=future)
            if n == LIGHTGBM and self.config.covariates
            else self._models[n].predict_validated(h, required_columns(panel))
            for n in self.members_
        ]
        out = _average(forecasts, self.members_)
        if not levels:
            return out
        return self.intervals_.apply(out, series_scales(panel, self.config.season_length), levels)

    def explain(
        self, h: int, history: pd.DataFrame | None = None, future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """The LightGBM member's contributions per feature group (`LightGBMForecaster.explain`);
        its `yhat` is that member's forecast, which this model averages with the statistical
        members it selected (`members_`), whose forecasts use no features."""
        self._require_fitted()
        return self._models[LIGHTGBM].explain(h, history=history, future=future)

    def feature_importance(self) -> pd.DataFrame:
        """The LightGBM member's feature-group importance (the statistical members use no
        features); see `LightGBMForecaster.feature_importance`."""
        self._require_fitted()
        return self._models[LIGHTGBM].feature_importance()

    def _require_fitted(self) -> None:
        if not self._models:
            raise RuntimeError("CombinedForecaster is not fitted; call fit or load first")

    def update(self, new_obs: pd.DataFrame) -> CombinedForecaster:
        """Append observations to every member; nothing is refitted."""
        for model in self._models.values():
            model.update(new_obs)
        new = validate_panel(new_obs, freq=self.config.freq)
        unseen = new.loc[~new["unique_id"].isin(self.scales_.index)]
        if not unseen.empty:
            self.scales_ = pd.concat(
                [self.scales_, series_scales(unseen, self.config.season_length)]
            )
        return self

    def save(self, path: str | Path) -> None:
        """Write members, selection and calibration to a directory."""
        if not self._models:
            raise RuntimeError("CombinedForecaster is not fitted; nothing to save")
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "format_version": _FORMAT_VERSION,
            "class": type(self).__name__,
            "config": self.config.to_dict(),
            "n_jobs": self.n_jobs,
            "members": list(self.members_),
            "selection_scores": self.selection_scores_,
        }
        (directory / "combined.json").write_text(json.dumps(meta, indent=2))
        for name, model in self._models.items():
            model.save(directory / name)
        self.intervals_.save(directory / "intervals.npz")
        self.scales_.rename("scale").to_frame().to_parquet(directory / "scales.parquet")

    @classmethod
    def load(cls, path: str | Path) -> CombinedForecaster:
        directory = Path(path)
        meta = json.loads((directory / "combined.json").read_text())
        if meta.get("format_version") != _FORMAT_VERSION:
            raise ValueError(f"{path}: unsupported format version {meta.get('format_version')}")
        model = cls(ForecasterConfig.from_dict(meta["config"]), n_jobs=meta["n_jobs"])
        model.members_ = tuple(meta["members"])
        model.selection_scores_ = meta["selection_scores"]
        model._models = {
            name: (LightGBMForecaster if name == LIGHTGBM else StatisticalForecaster).load(
                directory / name
            )
            for name in model.members_
        }
        model.intervals_ = ConformalIntervals.load(directory / "intervals.npz")
        model.scales_ = pd.read_parquet(directory / "scales.parquet")["scale"]
        return model
