"""Compare the default model, plain LightGBM and the baselines on one train/test split."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from models.baselines import BASELINES
from models.combined import CombinedForecaster
from models.config import default_config
from models.forecaster import LightGBMForecaster
from models.metrics import aggregate_metrics, per_series_metrics
from models.validation import (
    PanelProblem,
    PanelValidationError,
    infer_freq,
    required_columns,
    season_length_for,
    validate_panel,
)

__all__ = [
    "EvaluationReport",
    "MethodResult",
    "default_forecaster",
    "evaluate_methods",
    "split_last",
]

DEFAULT_METHOD = CombinedForecaster.name
METHOD_ORDER = (CombinedForecaster.name, LightGBMForecaster.name, *BASELINES)


def default_forecaster(
    freq: str, season_length: int, horizon: int, *, n_jobs: int = 1, **overrides: Any
) -> CombinedForecaster:
    """The model the pipeline deploys: LightGBM combined with ETS / Theta when it backtests
    better; `n_jobs` worker processes estimate the statistical members at fit time."""
    return CombinedForecaster(
        default_config(freq, season_length, horizon, **overrides), n_jobs=n_jobs
    )


@dataclass
class MethodResult:
    """Accuracy and cost of one method on the held-out data (metrics: mean over series)."""

    name: str
    mase: float
    smape: float
    rmsse: float
    coverage: dict[str, float]
    seconds: float
    default: bool


@dataclass
class EvaluationReport:
    """One entry per method, plus the per-series metrics behind the means."""

    methods: list[MethodResult]
    horizon: int
    freq: str
    season_length: int
    n_series: int
    levels: tuple[float, ...]
    per_series: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the per-series table)."""
        return {
            "methods": [asdict(m) for m in self.methods],
            "horizon": self.horizon,
            "freq": self.freq,
            "season_length": self.season_length,
            "n_series": self.n_series,
            "levels": list(self.levels),
        }

    @property
    def default(self) -> MethodResult:
        return next(m for m in self.methods if m.default)


def split_last(df: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out the last `horizon` points of every series of a validated, sorted panel."""
    position_from_end = df.groupby("unique_id", sort=False).cumcount(ascending=False)
    return df[position_from_end >= horizon], df[position_from_end < horizon]


def _check_test(train: pd.DataFrame, test: pd.DataFrame, freq: str) -> int:
    """The test part must continue every training series with the same number of points."""
    test = validate_panel(test, freq=freq)
    problems = []
    train_ids, test_ids = set(train["unique_id"]), set(test["unique_id"])
    if train_ids != test_ids:
        odd = sorted(train_ids ^ test_ids)
        message = f"series present in only one of train/test: {odd[:10]}"
        problems.append(PanelProblem("mismatched_series", message, odd))
    counts = test.groupby("unique_id").size()
    if counts.nunique() > 1:
        message = f"test parts differ in length ({sorted(counts.unique())}); need one horizon"
        problems.append(PanelProblem("ragged_test", message, list(counts.index[:10])))
    if problems:
        raise PanelValidationError(problems)
    validate_panel(pd.concat([train, test]), freq=freq)  # continuity: no gap or overlap
    return int(counts.iloc[0])


def _make_methods(
    freq: str, season_length: int, horizon: int, overrides: dict[str, Any] | None = None
) -> dict[str, Callable[[], Any]]:
    config = default_config(freq, season_length, horizon, **(overrides or {}))
    makers: dict[str, Callable[[], Any]] = {
        CombinedForecaster.name: lambda: CombinedForecaster(config),
        LightGBMForecaster.name: lambda: LightGBMForecaster(config),
    }
    for name, cls in BASELINES.items():
        makers[name] = lambda cls=cls: cls(freq, season_length)
    return makers


def evaluate_methods(
    train_df: pd.DataFrame,
    test: pd.DataFrame | int,
    *,
    season_length: int | None = None,
    freq: str | None = None,
    levels: Sequence[float] = (80, 95),
    methods: Sequence[str] | None = None,
    on_progress: Callable[[str, str], None] | None = None,
    overrides: dict[str, Any] | None = None,
) -> EvaluationReport:
    """Fit each method on `train_df`, forecast the test part, score MASE / sMAPE / coverage.

    `overrides`: ForecasterConfig fields set on the default and LightGBM methods' defaults.
    `test` is either the held-out frame (continuing every training series) or a horizon: then
    the last `test` points of each series of `train_df` are held out. `on_progress(method,
    stage)` is called with stage "start" and "done" around each method.
    """
    panel = required_columns(validate_panel(train_df, freq=freq))
    freq = freq or infer_freq(panel)
    if isinstance(test, int):
        validate_panel(panel, freq=freq, horizon=test)
        train, actual, horizon = (*split_last(panel, test), test)
    else:
        train = panel
        actual = required_columns(validate_panel(test, freq=freq))
        horizon = _check_test(train, actual, freq)
    season_length = season_length or season_length_for(freq)
    makers = _make_methods(freq, season_length, horizon, overrides)
    selected = list(methods or METHOD_ORDER)
    unknown = sorted(set(selected) - set(makers))
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {list(makers)}")

    results, tables = [], []
    for name in selected:
        if on_progress:
            on_progress(name, "start")
        started = time.perf_counter()
        forecasts = makers[name]().fit(train).predict(horizon, levels=list(levels))
        seconds = time.perf_counter() - started
        aligned = actual.merge(forecasts, on=["unique_id", "ds"], how="left", validate="1:1")
        if aligned["yhat"].isna().any():
            raise ValueError(f"{name} left test rows without a forecast")
        per_series = per_series_metrics(aligned, train, season_length=season_length, levels=levels)
        means = aggregate_metrics(per_series)
        coverage = {f"{level:g}": means[f"coverage_{level:g}"] for level in levels}
        results.append(
            MethodResult(
                name=name,
                mase=means["mase"],
                smape=means["smape"],
                rmsse=means["rmsse"],
                coverage=coverage,
                seconds=seconds,
                default=name == DEFAULT_METHOD,
            )
        )
        tables.append(per_series.assign(method=name))
        if on_progress:
            on_progress(name, "done")
    return EvaluationReport(
        methods=results,
        horizon=horizon,
        freq=freq,
        season_length=season_length,
        n_series=int(train["unique_id"].nunique()),
        levels=tuple(levels),
        per_series=pd.concat(tables, ignore_index=True),
    )
