"""The default model fitted and backtested on a Dask cluster, its series spread over workers.

A panel lives on the workers as parts (`SeriesPartitions`): each part a long frame of whole
series, sorted, the parts in series order. Everything per series runs where its part lies:
validation, the backtest windows, the statistical members (each series is estimated on its
own), LightGBM's features (lags, rolling means and target transforms of a series depend on it
alone), the per-series scores and interval residuals. What comes back to the caller is small:
series lengths, per-series scores, scaled residuals, the members' fitted state (the tail of
each series they forecast from) and LightGBM's trained trees.

A model with covariates works the same: each part carries its series' covariate columns, the
categories of a categorical covariate are gathered from every part before the feature rows
are built, and each backtest window forecasts with the known-in-advance values recorded for
its test rows.

LightGBM trains either on one worker that gathers every part's feature rows
(`lightgbm="one_worker"`: the same trees as `fit` in one process, bit for bit) or data-parallel
over the workers with `lightgbm.dask` (`lightgbm="data_parallel"`: each worker holds only its
rows; LightGBM bins each feature from one worker's rows, so the trees differ slightly from
one process's). The fitted model is the same class as `fit` gives in one process, and saves
and loads the same way.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from models.backtest import (
    align_forecasts,
    backtest,
    calibration_windows,
    future_covariates,
    sample_series,
    split_windows,
)
from models.baselines import StatisticalForecaster
from models.combined import CombinedForecaster
from models.device import resolve_device
from models.forecaster import BoosterRegressor, LightGBMForecaster
from models.intervals import ConformalIntervals, series_scales
from models.metrics import aggregate_metrics, per_series_metrics
from models.validation import validate_panel

__all__ = [
    "LightGBMTraining",
    "SeriesPartitions",
    "backtest_on_cluster",
    "fit_combined_on_cluster",
    "fit_lightgbm_on_cluster",
]

LightGBMTraining = Literal["one_worker", "data_parallel"]


def _series_chunks(series: Sequence[Any], n_parts: int) -> list[list[Any]]:
    ids = sorted(set(series))
    if not ids:
        raise ValueError("no series to partition")
    chunks = np.array_split(np.array(ids, dtype=object), max(1, min(n_parts, len(ids))))
    return [list(chunk) for chunk in chunks]


class SeriesPartitions:
    """A panel held on Dask workers as parts of whole series (futures of pandas frames)."""

    def __init__(self, client: Any, parts: Sequence[Any]):
        if not parts:
            raise ValueError("a partitioned panel needs at least one part")
        self.client = client
        self.parts = list(parts)

    @classmethod
    def read(
        cls,
        client: Any,
        read_part: Callable[[list[Any]], pd.DataFrame],
        series: Sequence[Any],
        n_parts: int,
    ) -> SeriesPartitions:
        """Each worker reads its part itself: `read_part(series ids)` runs there (e.g. reading
        those series' rows of a Parquet snapshot from the object store)."""
        return cls(client, client.map(read_part, _series_chunks(series, n_parts), pure=False))

    @classmethod
    def scatter(cls, client: Any, panel: pd.DataFrame, n_parts: int) -> SeriesPartitions:
        """An in-memory panel split into `n_parts` parts sent to the workers (tests, benchmarks)."""
        chunks = _series_chunks(panel["unique_id"].unique(), n_parts)
        frames = [panel[panel["unique_id"].isin(chunk)] for chunk in chunks]
        return cls(client, client.scatter(frames))

    def map(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> SeriesPartitions:
        """`func(part, *args, **kwargs)` on every part, where the part lies."""
        futures = [self.client.submit(func, p, *args, pure=False, **kwargs) for p in self.parts]
        return SeriesPartitions(self.client, futures)

    def zip_map(
        self, func: Callable[..., Any], other: SeriesPartitions, *args: Any, **kwargs: Any
    ) -> SeriesPartitions:
        """`func(part, other_part, ...)` for the parts of two panels of the same series."""
        futures = [
            self.client.submit(func, p, q, *args, pure=False, **kwargs)
            for p, q in zip(self.parts, other.parts, strict=True)
        ]
        return SeriesPartitions(self.client, futures)

    def collect(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> list[Any]:
        """The results of `func(part, ...)` on every part, brought back in part order."""
        return self.client.gather(self.map(func, *args, **kwargs).parts)

    def results(self) -> list[Any]:
        """Every part brought back, in part order."""
        return self.client.gather(self.parts)

    def nonempty(self) -> SeriesPartitions:
        sizes = self.collect(len)
        return SeriesPartitions(
            self.client, [p for p, n in zip(self.parts, sizes, strict=True) if n]
        )

    def release(self) -> None:
        for future in self.parts:
            future.release()


# -- what runs on the workers --------------------------------------------------------------
def _validated(part: pd.DataFrame, model: CombinedForecaster) -> pd.DataFrame:
    """The part's columns the members use (covariate columns checked, for a model with them)."""
    return model._panel(validate_panel(part, freq=model.config.freq))


def _lengths(part: pd.DataFrame) -> pd.Series:
    return part.groupby("unique_id", sort=False)["y"].size()


def _long_enough(part: pd.DataFrame, needed: int) -> pd.DataFrame:
    lengths = part.groupby("unique_id", sort=False)["y"].transform("size")
    return part[lengths >= needed]


def _only_series(part: pd.DataFrame, ids: frozenset) -> pd.DataFrame:
    return part[part["unique_id"].isin(ids)]


def _window(
    part: pd.DataFrame, h: int, n_windows: int, window: int, step: int | None, test: bool
) -> pd.DataFrame:
    for index, train, held_out in split_windows(part, h=h, n_windows=n_windows, step=step):
        if index == window:
            if test:
                return held_out[["unique_id", "ds", "cutoff", "y"]].reset_index(drop=True)
            return train
    raise ValueError(f"no backtest window {window}")


def _future_window(
    part: pd.DataFrame, model: Any, h: int, n_windows: int, window: int, step: int | None
) -> pd.DataFrame | None:
    """The known-in-advance values recorded for a window's test rows that `model` forecasts
    with (None for a model without them), as `models.backtest` passes them in one process."""
    for index, _, held_out in split_windows(part, h=h, n_windows=n_windows, step=step):
        if index == window:
            return future_covariates(model, held_out)
    raise ValueError(f"no backtest window {window}")


def _on_worker(member: StatisticalForecaster) -> StatisticalForecaster:
    """A fresh copy that estimates in the worker's own process: the worker is the unit of
    parallelism (and a Dask worker process may not start processes of its own)."""
    fresh = copy.deepcopy(member)
    fresh.n_jobs = 1
    return fresh


def _local_forecast(part: pd.DataFrame, member: StatisticalForecaster, h: int) -> pd.DataFrame:
    return _on_worker(member).fit(part).predict(h)


def _fit_local(part: pd.DataFrame, member: StatisticalForecaster) -> StatisticalForecaster:
    return _on_worker(member).fit(part)


def _lightgbm_forecast(part: pd.DataFrame, model: LightGBMForecaster, h: int) -> pd.DataFrame:
    return model.predict_validated(h, model.recent(part))


def _lightgbm_forecast_with(
    part: pd.DataFrame, future: pd.DataFrame, model: LightGBMForecaster, h: int
) -> pd.DataFrame:
    return model.predict_validated(h, model.recent(part), future=future)


def _attach(actual: pd.DataFrame, predicted: pd.DataFrame, name: str) -> pd.DataFrame:
    merged = actual.merge(predicted, on=["unique_id", "ds"], validate="one_to_one")
    if len(merged) != len(actual):
        raise ValueError(f"{name} returned forecasts misaligned with the backtest")
    return actual.assign(**{name: merged["yhat"].to_numpy()})


def _stacked(*windows: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(windows, ignore_index=True)


def _stack(windows: list[SeriesPartitions]) -> SeriesPartitions:
    """Per part, the rows of every window (parts of the same series)."""
    client = windows[0].client
    stacked = [
        client.submit(_stacked, *[w.parts[i] for w in windows], pure=False)
        for i in range(len(windows[0].parts))
    ]
    return SeriesPartitions(client, stacked)


def _candidate_mase(scored: pd.DataFrame, subset: pd.DataFrame, model: CombinedForecaster):
    return model._candidate_mase(scored, subset)


def _residual_scores(scored: pd.DataFrame, subset: pd.DataFrame, model: CombinedForecaster):
    calibrated = ConformalIntervals.calibrate(
        model._residuals(scored), subset, model.config.season_length
    )
    return calibrated.steps, calibrated.scores


def _has_negative(part: pd.DataFrame) -> bool:
    return bool((part["y"] < 0).any())


def _categories_seen(part: pd.DataFrame, member: LightGBMForecaster) -> dict[str, set[str]]:
    return {
        c.name: set(part[c.name].astype(str).unique())
        for c in member.covariates
        if c.type == "categorical"
    }


def _learn_categories(parts: SeriesPartitions, member: LightGBMForecaster) -> None:
    """The categories of the whole panel, in the order `fit` learns them in one process
    (declared ones, else every value seen, sorted), from what each part holds."""
    seen = parts.collect(_categories_seen, member)
    member.categories_ = {
        c.name: list(c.categories) or sorted(set().union(*(s[c.name] for s in seen)))
        for c in member.covariates
        if c.type == "categorical"
    }


def _lightgbm_rows(part: pd.DataFrame, member: LightGBMForecaster, log_target: bool, device: str):
    return copy.deepcopy(member).training_rows(part, log_target=log_target, device=device)


def _train_one_worker(
    rows: list[tuple[np.ndarray, np.ndarray]], member: LightGBMForecaster, log_target: bool
) -> tuple[BoosterRegressor, str]:
    device = resolve_device(member.config.device)  # where the trees are trained
    features = np.concatenate([x for x, _ in rows]) if len(rows) > 1 else rows[0][0]
    target = np.concatenate([y for _, y in rows]) if len(rows) > 1 else rows[0][1]
    if len(target) == 0:
        raise ValueError(
            "no training rows: every series is consumed by differencing "
            f"{member.config.differences}"
        )
    regressor = member.untrained_regressor(log_target=log_target, device=device)
    return regressor.fit(features, target), device


def _shape(rows: tuple[np.ndarray, np.ndarray]) -> tuple[int, int]:
    return rows[0].shape


def _features_of(rows: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return rows[0]


def _target_of(rows: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return rows[1]


# -- LightGBM ------------------------------------------------------------------------------
def _train_data_parallel(
    client: Any, rows: SeriesPartitions, member: LightGBMForecaster, log_target: bool
) -> tuple[BoosterRegressor, str]:
    """Data-parallel training with `lightgbm.dask`: each worker trains on the rows it holds."""
    import dask.array as da
    import lightgbm.dask as lgb_dask

    shapes = rows.collect(_shape)
    if sum(n for n, _ in shapes) == 0:
        raise ValueError(
            "no training rows: every series is consumed by differencing "
            f"{member.config.differences}"
        )
    kept = [(part, shape) for part, shape in zip(rows.parts, shapes, strict=True) if shape[0]]
    features = da.concatenate(
        [
            da.from_delayed(client.submit(_features_of, p), shape, dtype=np.float32)
            for p, shape in kept
        ]
    )
    target = da.concatenate(
        [
            da.from_delayed(client.submit(_target_of, p), shape[:1], dtype=np.float32)
            for p, shape in kept
        ]
    )
    device = resolve_device(member.config.device)
    untrained = member.untrained_regressor(log_target=log_target, device=device)
    params = {k: v for k, v in (untrained.params or {}).items() if k != "num_threads"}
    estimator = lgb_dask.DaskLGBMRegressor(
        client=client, n_estimators=untrained.num_boost_round, **params
    )
    estimator.fit(features, target)
    regressor = BoosterRegressor(params=untrained.params, num_boost_round=untrained.num_boost_round)
    regressor.booster_ = estimator.to_local().booster_
    return regressor, device


def fit_lightgbm_on_cluster(
    member: LightGBMForecaster,
    panel: SeriesPartitions,
    *,
    lightgbm: LightGBMTraining = "one_worker",
) -> LightGBMForecaster:
    """`member.fit(panel)` (a model without interval calibration) from parts on the workers."""
    if member.config.interval_windows:
        raise ValueError("on a cluster LightGBM fits without its own interval calibration")
    parts = panel.map(_lgb_validated, member)
    if member.covariates:
        _learn_categories(parts, member)
    log_target = member.log_target_for(has_negative=any(parts.collect(_has_negative)))
    rows = parts.map(_lightgbm_rows, member, log_target, "cpu")
    if lightgbm == "one_worker":
        trained = panel.client.submit(_train_one_worker, rows.parts, member, log_target)
        regressor, device = trained.result()
    elif lightgbm == "data_parallel":
        regressor, device = _train_data_parallel(panel.client, rows, member, log_target)
    else:
        raise ValueError(f"lightgbm must be one_worker or data_parallel, got {lightgbm!r}")
    rows.release()
    history = pd.concat(parts.collect(_recent_of, member), ignore_index=True)
    scales = pd.concat(parts.collect(series_scales, member.config.season_length))
    return LightGBMForecaster.assemble(
        member.config,
        log_target=log_target,
        device=device,
        regressor=regressor,
        history=history,
        scales=scales,
        categories=member.categories_,
    )


def _lgb_validated(part: pd.DataFrame, member: LightGBMForecaster) -> pd.DataFrame:
    return member.validate_history(part)


def _recent_of(part: pd.DataFrame, member: LightGBMForecaster) -> pd.DataFrame:
    return member.recent(part)


# -- the combined model --------------------------------------------------------------------
def _member_forecast_parts(
    model: CombinedForecaster,
    name: str,
    train: SeriesPartitions,
    h: int,
    lightgbm: LightGBMTraining,
    future: SeriesPartitions | None = None,
) -> SeriesPartitions:
    member = model._new_member(name)
    if isinstance(member, LightGBMForecaster):
        fitted = fit_lightgbm_on_cluster(member, train, lightgbm=lightgbm)
        shared = train.client.scatter(fitted, broadcast=True)
        if future is not None:  # the known-in-advance values of the window's test rows
            return train.zip_map(_lightgbm_forecast_with, future, shared, h)
        return train.map(_lightgbm_forecast, shared, h)
    return train.map(_local_forecast, member, h)


def _member_backtest(
    model: CombinedForecaster, panel: SeriesPartitions, lightgbm: LightGBMTraining
) -> tuple[SeriesPartitions, SeriesPartitions]:
    """`CombinedForecaster._member_backtest` over parts: (scored rows, the series scored)."""
    cfg = model.config
    lengths = pd.concat(panel.collect(_lengths))
    n_windows, needed = calibration_windows(
        lengths,
        h=cfg.horizon,
        max_windows=max(cfg.selection_windows, cfg.interval_windows),
        min_train=LightGBMForecaster(cfg)._min_history() + 1,
    )
    eligible = lengths.index[lengths >= needed]
    chosen = sample_series(eligible, cfg.selection_series)
    if len(chosen) == len(eligible):
        subset = panel.map(_long_enough, needed).nonempty()
    else:  # the same sample as in one process, whatever part each series is in
        subset = panel.map(_only_series, frozenset(chosen)).nonempty()
    members = sorted({m for c in model._candidates() for m in c})
    windows = []
    for window in range(n_windows - 1, -1, -1):
        train = subset.map(_window, cfg.horizon, n_windows, window, None, False)
        actual = subset.map(_window, cfg.horizon, n_windows, window, None, True)
        future = (
            subset.map(_future_window, model, cfg.horizon, n_windows, window, None)
            if model.future_columns()
            else None
        )
        for name in members:
            predicted = _member_forecast_parts(model, name, train, cfg.horizon, lightgbm, future)
            actual = actual.zip_map(_attach, predicted, name)
        windows.append(actual)
    return _stack(windows), subset


def fit_combined_on_cluster(
    model: CombinedForecaster,
    panel: SeriesPartitions,
    *,
    lightgbm: LightGBMTraining = "one_worker",
) -> CombinedForecaster:
    """`model.fit(panel)` with the panel's parts on Dask workers: the same selection, interval
    calibration and members (see the module docstring for LightGBM's two ways)."""
    cfg = model.config
    parts = panel.map(_validated, model)
    scored, subset = _member_backtest(model, parts, lightgbm)
    model._choose(pd.concat(scored.zip_map(_candidate_mase, subset, model).results()))
    residuals = scored.zip_map(_residual_scores, subset, model).results()
    model.intervals_ = ConformalIntervals(
        np.concatenate([steps for steps, _ in residuals]),
        np.concatenate([scores for _, scores in residuals]),
    )
    scored.release()
    fitted: dict[str, Any] = {}
    for name in model.members_:
        member = model._new_member(name)
        if isinstance(member, LightGBMForecaster):
            fitted[name] = fit_lightgbm_on_cluster(member, parts, lightgbm=lightgbm)
        else:
            fitted[name] = StatisticalForecaster.merged(parts.collect(_fit_local, member))
    model._models = fitted
    model.scales_ = pd.concat(parts.collect(series_scales, cfg.season_length))
    return model


# -- backtests -----------------------------------------------------------------------------
def _align_part(test: pd.DataFrame, forecasts: pd.DataFrame, window: int) -> pd.DataFrame:
    mine = forecasts[forecasts["unique_id"].isin(test["unique_id"].unique())]
    return align_forecasts(mine, test).assign(window=window)


def _sorted(part: pd.DataFrame) -> pd.DataFrame:
    return part.sort_values(["unique_id", "ds"], kind="stable")


def _local_backtest(
    part: pd.DataFrame, make_model: Callable[[], Any], h: int, n_windows: int, step, levels
) -> pd.DataFrame:
    return backtest(make_model, part, h=h, n_windows=n_windows, step=step, levels=levels)


def _scores(forecasts: pd.DataFrame, part: pd.DataFrame, season_length: int, levels):
    return per_series_metrics(forecasts, part, season_length=season_length, levels=levels)


def backtest_on_cluster(
    make_model: Callable[[], Any],
    panel: SeriesPartitions,
    *,
    h: int,
    n_windows: int,
    season_length: int,
    step: int | None = None,
    levels: Sequence[float] = (),
    lightgbm: LightGBMTraining = "one_worker",
) -> dict[str, float]:
    """`aggregate_metrics(per_series_metrics(backtest(make_model, panel, ...), panel))` with
    the panel's parts on the workers. A combined model is fitted at each window with
    `fit_combined_on_cluster` and forecast here (from its members' tails); a statistical
    model (one model per series) is backtested on each part where it lies."""
    levels = list(levels)
    panel = panel.map(_sorted)
    probe = make_model()
    if isinstance(probe, StatisticalForecaster):
        forecasts = panel.map(_local_backtest, make_model, h, n_windows, step, levels)
    elif isinstance(probe, CombinedForecaster):
        windows = []
        for window in range(n_windows - 1, -1, -1):
            train = panel.map(_window, h, n_windows, window, step, False)
            test = panel.map(_window, h, n_windows, window, step, True)
            model = fit_combined_on_cluster(make_model(), train, lightgbm=lightgbm)
            future = (
                {"future": pd.concat(
                    panel.collect(_future_window, model, h, n_windows, window, step),
                    ignore_index=True,
                )}
                if model.future_columns()
                else {}
            )  # fmt: skip
            predicted = panel.client.scatter(
                model.predict(h, levels or None, **future), broadcast=True
            )
            windows.append(test.map(_align_part, predicted, window))
            train.release()
        forecasts = _stack(windows)
    else:
        raise TypeError(f"no cluster backtest for {type(probe).__name__}")
    per_series = forecasts.zip_map(_scores, panel, season_length, levels)
    return aggregate_metrics(pd.concat(per_series.results(), ignore_index=True))
