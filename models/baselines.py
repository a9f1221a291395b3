"""Statistical baselines (statsforecast): seasonal naive, AutoETS and Theta.

They share the forecaster interface. These are local models: `fit` estimates each series'
model on its history and keeps it; `predict` filters the observations a series has now
through the kept model (statsforecast's `forward`) when they continue what it was estimated
on, and estimates afresh only for unseen series or changed histories, so serving a seen
series costs no estimation. With `max_history` each series' model is estimated on its last
`max_history` points only: estimation cost grows with the length. With `n_jobs` > 1 `fit`
estimates parts of the panel in worker processes (`predict` never does); they import the main
module as multiprocessing's spawn does, so a script needs the `if __name__ == "__main__":` guard.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import cloudpickle
import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, SeasonalNaive, Theta

from models.config import check_ets_damped, check_ets_model
from models.metrics import interval_columns
from models.validation import required_columns, series_starts, validate_panel

__all__ = [
    "BASELINES",
    "ETSForecaster",
    "SeasonalNaiveForecaster",
    "StatisticalForecaster",
    "ThetaForecaster",
]


# Below this many series per worker process, starting workers costs more than it saves.
_MIN_SERIES_PER_JOB = 50


def _worker_context() -> multiprocessing.context.BaseContext:
    """Estimation workers start from a fork server, never as forks of this process: a fork of
    a process with other threads running (Dagster's, MLflow's) can inherit a lock one of them
    held, and hang on it (seen: a statsforecast worker forked inside a Dagster run)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])  # workers start with statsforecast imported
    return context


def _worker_pool(jobs: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        jobs, mp_context=_worker_context(), initializer=_default_stop_signals
    )


def _default_stop_signals() -> None:
    """Each worker starts with SIGTERM and SIGINT at their defaults: the fork server hands on
    the dispositions of the process that started it, and one inside a Dagster run started from
    a script's background job ignores both, so the pool could not terminate a worker
    (core.processes does the same for the servers; models imports nothing of ours)."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)


def _fitted_models(forecaster: StatisticalForecaster, panel: pd.DataFrame) -> tuple[list, list]:
    """(series ids, fitted statsforecast models) of one part of a panel, in one process."""
    engine = forecaster._engine().fit(df=panel)
    return list(engine.uids), list(engine.fitted_[:, 0])


@dataclass
class _Estimate:
    """One series' fitted statsforecast model and the observations it was estimated on."""

    model: Any
    start: pd.Timestamp  # first timestamp of the estimation window
    values: np.ndarray  # the window's values, to tell a continuation from a revision


class StatisticalForecaster:
    """Base class: one statsforecast model applied series by series."""

    name: ClassVar[str] = "statistical"

    def __init__(
        self, freq: str, season_length: int, *, n_jobs: int = 1, max_history: int | None = None
    ):
        if max_history is not None and max_history < 1:
            raise ValueError(f"max_history must be >= 1 or None, got {max_history}")
        self.freq = freq
        self.season_length = season_length
        self.n_jobs = n_jobs  # processes estimating the series at `fit` (not at `predict`)
        self.max_history = max_history
        self.history_: pd.DataFrame | None = None
        # series -> its model as estimated at fit time (reused by `predict`, see there)
        self.estimates_: dict[str, _Estimate] = {}
        self.reestimated_: int = 0  # series the last `predict` estimated afresh
        self.filtered_: int = 0  # series the last `predict` filtered through kept estimates

    def _model(self):
        raise NotImplementedError

    def settings(self) -> dict[str, Any]:
        """The constructor's arguments: what decides how this forecaster estimates."""
        return {
            "freq": self.freq,
            "season_length": self.season_length,
            "n_jobs": self.n_jobs,
            "max_history": self.max_history,
        }

    def _engine(self) -> StatsForecast:
        return StatsForecast(
            models=[self._model()],
            freq=self.freq,
            n_jobs=1,
            fallback_model=SeasonalNaive(season_length=self.season_length),
        )

    def fit(self, df: pd.DataFrame) -> StatisticalForecaster:
        """Estimate every series' model on its last `max_history` points and keep it."""
        self.history_ = self._window(required_columns(validate_panel(df, freq=self.freq)))
        self.estimates_ = self._estimate(self.history_)
        return self

    @classmethod
    def merged(cls, parts: Sequence[StatisticalForecaster]) -> StatisticalForecaster:
        """One model of the fitted models of disjoint parts of a panel (e.g. fitted on Dask
        workers), in the parts' order: each series is estimated on its own, so it is the model
        `fit` gives on the whole panel."""
        if not parts:
            raise ValueError("no fitted parts to merge")
        first = parts[0]
        model = type(first)(**first.settings())
        histories = [part._require_history() for part in parts]
        model.history_ = pd.concat(histories, ignore_index=True)
        for part in parts:
            overlap = model.estimates_.keys() & part.estimates_.keys()
            if overlap:
                raise ValueError(f"series fitted in more than one part: {sorted(overlap)[:10]}")
            model.estimates_.update(part.estimates_)
        return model

    def _estimate(self, panel: pd.DataFrame) -> dict[str, _Estimate]:
        uids, models = self._fit_parts(panel)
        windows = {uid: (ds[0], values.copy()) for uid, ds, values in _series_slices(panel)}
        return {
            uid: _Estimate(model, pd.Timestamp(windows[uid][0]), windows[uid][1])
            for uid, model in zip(uids, models, strict=True)
        }

    def _fit_parts(self, panel: pd.DataFrame) -> tuple[list, list]:
        """Every series' fitted model, from `n_jobs` worker processes when the panel is big
        enough (each series is estimated on its own, so the parts give what one process
        would). Only `fit` comes here: a model server never starts workers per request."""
        ids = panel["unique_id"].to_numpy()
        starts = np.flatnonzero(series_starts(ids))  # the panel is sorted
        jobs = min(self.n_jobs, len(starts) // _MIN_SERIES_PER_JOB)
        if jobs <= 1:
            return _fitted_models(self, panel)
        cuts = [*(starts[group[0]] for group in np.array_split(range(len(starts)), jobs)), len(ids)]
        parts = [panel.iloc[begin:end] for begin, end in itertools.pairwise(cuts)]
        blank = type(self)(**{**self.settings(), "n_jobs": 1})
        with _worker_pool(jobs) as pool:
            results = list(pool.map(_fitted_models, [blank] * jobs, parts))
        return [u for uids, _ in results for u in uids], [m for _, ms in results for m in ms]

    def min_forecast_history(self) -> int:
        """Fewest observations a series needs to be forecast (a fallback covers the rest)."""
        return 1

    def required_history(self) -> int:
        """Points a series needs before a cutoff: one season and the point after it."""
        return self.season_length + 1

    def _window(self, panel: pd.DataFrame) -> pd.DataFrame:
        """The last `max_history` points of every series (all of them without a limit)."""
        if self.max_history is None:
            return panel
        return panel.groupby("unique_id", sort=False).tail(self.max_history).reset_index(drop=True)

    def update(self, new_obs: pd.DataFrame) -> StatisticalForecaster:
        """Append observations that continue the stored series (or start new ones)."""
        history = self._require_history()
        new = required_columns(validate_panel(new_obs, freq=self.freq))
        combined = pd.concat([history, new], ignore_index=True)
        self.history_ = validate_panel(combined, freq=self.freq)
        self.history_ = self._window(self.history_)
        return self

    def _filterable(self, uid: Any, ds: np.ndarray, values: np.ndarray) -> np.ndarray | None:
        """The observations to filter through the kept estimate of `uid`, or None when the
        series must be estimated afresh: unseen at fit time, a history that no longer
        reaches back to the estimation window's start, values in that window revised, or
        more new observations than the window held (the estimate is too old to trust)."""
        estimate = self.estimates_.get(uid)
        if estimate is None:
            return None
        first = np.searchsorted(ds, np.datetime64(estimate.start))
        if first >= len(ds) or ds[first] != np.datetime64(estimate.start):
            return None
        tail = values[first:]
        known = len(estimate.values)
        if len(tail) < known or len(tail) - known > max(known, self.max_history or 0):
            return None
        if not np.array_equal(tail[:known], estimate.values):
            return None
        return tail

    def predict(
        self,
        h: int,
        levels: Sequence[float] | None = None,
        history: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """`unique_id`, `ds`, `yhat` (+ `yhat_lo_L`, `yhat_hi_L`) for the next `h` periods.

        A series seen at fit time is forecast by filtering its observations through the
        model estimated then (statsforecast's `forward`: same parameters, states updated by
        the new observations) as long as its history continues the estimation window
        unchanged; the others (unseen, revised, too far ahead) are estimated afresh on their
        last `max_history` points. On the history the model was fitted on, both give the
        same forecast.
        """
        panel = self._require_history() if history is None else self.validate_history(history)
        return self.predict_validated(h, panel, levels)

    def validate_history(self, history: pd.DataFrame, *, copy: bool = True) -> pd.DataFrame:
        """`history` validated as `predict_validated` takes it: at this model's frequency,
        only the required columns (`copy` as in `validate_panel`)."""
        return required_columns(validate_panel(history, freq=self.freq, copy=copy))

    def predict_validated(
        self, h: int, panel: pd.DataFrame, levels: Sequence[float] | None = None
    ) -> pd.DataFrame:
        """`predict` from a history `validate_history` (or `validate_panel` at this model's
        frequency) already checked; a combined model validates once for all its members."""
        if h < 1:
            raise ValueError(f"h must be >= 1, got {h}")
        panel = required_columns(panel)
        levels = list(levels or [])
        forwarded: list[tuple[Any, np.datetime64, dict]] = []
        fresh_ids = []
        for uid, ds, values in _series_slices(panel):
            tail = self._filterable(uid, ds, values)
            if tail is None:
                fresh_ids.append(uid)
            else:
                result = self.estimates_[uid].model.forward(y=tail, h=h, level=levels or None)
                forwarded.append((uid, ds[-1], result))
        self.filtered_, self.reestimated_ = len(forwarded), len(fresh_ids)
        parts = [self._forwarded_frame(forwarded, h, levels)] if forwarded else []
        if fresh_ids:
            fresh = self._window(panel[panel["unique_id"].isin(fresh_ids)])
            parts.append(self._forecast_fresh(fresh, h, levels))
        out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        return out.sort_values(["unique_id", "ds"]).reset_index(drop=True)

    def _columns(self, levels: list) -> dict[str, str]:
        renamed = {"mean": "yhat"}
        for level in levels:
            lo, hi = interval_columns(level)
            renamed[f"lo-{level}"] = lo
            renamed[f"hi-{level}"] = hi
        return renamed

    def _forwarded_frame(
        self, forwarded: list[tuple[Any, np.datetime64, dict]], h: int, levels: list
    ) -> pd.DataFrame:
        """One frame of the `forward` results of many series (built once, not per series:
        a frame and a date range per series cost more than the filtering itself)."""
        dates: dict[np.datetime64, np.ndarray] = {}  # most series end on the same date
        for _, last, _ in forwarded:
            if last not in dates:
                stamps = pd.date_range(pd.Timestamp(last), periods=h + 1, freq=self.freq)[1:]
                dates[last] = stamps.to_numpy()
        frame: dict[str, Any] = {
            "unique_id": np.repeat(np.array([uid for uid, _, _ in forwarded], dtype=object), h),
            "ds": np.concatenate([dates[last] for _, last, _ in forwarded]),
        }
        for key, column in self._columns(levels).items():
            frame[column] = np.concatenate(
                [np.asarray(result[key], dtype=float) for _, _, result in forwarded]
            )
        return pd.DataFrame(frame)

    def _forecast_fresh(self, panel: pd.DataFrame, h: int, levels: list) -> pd.DataFrame:
        raw = self._engine().forecast(df=panel, h=h, level=levels or None)
        model_name = repr(self._model())
        renamed = {model_name: "yhat"}
        for level in levels:
            lo, hi = interval_columns(level)
            renamed[f"{model_name}-lo-{level}"] = lo
            renamed[f"{model_name}-hi-{level}"] = hi
        return raw.rename(columns=renamed)[["unique_id", "ds", *renamed.values()]]

    def _require_history(self) -> pd.DataFrame:
        if self.history_ is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit first")
        return self.history_

    def save(self, path: str | Path) -> None:
        """Write the settings, the stored history and the kept estimates to a directory."""
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        settings = {"class": type(self).__name__, **self.settings()}
        (directory / "baseline.json").write_text(json.dumps(settings, indent=2))
        self._require_history().to_parquet(directory / "history.parquet", index=False)
        with open(directory / "estimates.pkl", "wb") as file:
            cloudpickle.dump(self.estimates_, file)

    @classmethod
    def load(cls, path: str | Path) -> StatisticalForecaster:
        directory = Path(path)
        settings = json.loads((directory / "baseline.json").read_text())
        target = BASELINES_BY_CLASS[settings.pop("class")]
        if not issubclass(target, cls):
            raise TypeError(f"{path} holds a {target.__name__}, not a {cls.__name__}")
        model = target(**settings)
        model.history_ = pd.read_parquet(directory / "history.parquet")
        estimates = directory / "estimates.pkl"
        if estimates.exists():  # models saved before estimates were kept re-estimate
            with open(estimates, "rb") as file:
                model.estimates_ = cloudpickle.load(file)
        return model


def _series_slices(panel: pd.DataFrame):
    """(unique_id, ds array, values array) per series of a panel sorted by series and time."""
    ids = panel["unique_id"].to_numpy()
    ds = panel["ds"].to_numpy()
    values = panel["y"].to_numpy(dtype=float)
    if len(ids) == 0:
        return
    starts = np.flatnonzero(series_starts(ids))
    ends = np.r_[starts[1:], len(ids)]
    for begin, end in zip(starts, ends, strict=True):
        yield ids[begin], ds[begin:end], values[begin:end]


class SeasonalNaiveForecaster(StatisticalForecaster):
    """Repeats the last observed season."""

    name = "seasonal_naive"

    def _model(self):
        return SeasonalNaive(season_length=self.season_length)


class ETSForecaster(StatisticalForecaster):
    """Exponential smoothing with the ETS form chosen per series by AICc (AutoETS) among the
    forms `model` allows (`ZZZ`: every one; `AZZ`: additive errors only, about a third of the
    cost) and `damped` allows (None: either trend; True: damped trends only; False: undamped)."""

    name = "ets"

    def __init__(
        self,
        freq: str,
        season_length: int,
        *,
        n_jobs: int = 1,
        max_history: int | None = None,
        model: str = "ZZZ",
        damped: bool | None = None,
    ):
        super().__init__(freq, season_length, n_jobs=n_jobs, max_history=max_history)
        self.model = check_ets_model(model)
        self.damped = check_ets_damped(damped, model)

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "model": self.model, "damped": self.damped}

    def _model(self):
        return AutoETS(season_length=self.season_length, model=self.model, damped=self.damped)


class ThetaForecaster(StatisticalForecaster):
    """The standard Theta method, with seasonal adjustment when a test finds seasonality."""

    name = "theta"

    def _model(self):
        return Theta(season_length=self.season_length)


BASELINES: dict[str, type[StatisticalForecaster]] = {
    cls.name: cls for cls in (SeasonalNaiveForecaster, ETSForecaster, ThetaForecaster)
}
BASELINES_BY_CLASS = {cls.__name__: cls for cls in BASELINES.values()}
