"""Backtest the candidate model, the current champion and the baselines on the same windows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from models.backtest import MIN_TRAIN_POINTS, ForecastCache, backtest
from models.metrics import aggregate_metrics, per_series_metrics

__all__ = ["comparable_panel", "compare_methods", "markdown_table", "required_history"]

LEVELS = (80, 95)  # a dataset's default interval levels (`core.datasets`)


def level_labels(levels) -> tuple:
    """Levels as the forecasts' column names spell them: 80, not 80.0."""
    return tuple(int(level) if float(level).is_integer() else float(level) for level in levels)


def required_history(models: Iterable[Any]) -> int:
    """Points a series needs before a cutoff for every one of `models` to fit on it: each
    model says what it needs (`required_history()`: its features, its own selection and
    interval-calibration backtests)."""
    return max((model.required_history() for model in models), default=MIN_TRAIN_POINTS)


def comparable_panel(
    panel: pd.DataFrame, *, h: int, n_windows: int, step: int, min_train: int
) -> pd.DataFrame:
    """The series long enough for every window (each method needs `min_train` points)."""
    needed = h + (n_windows - 1) * step + max(min_train, MIN_TRAIN_POINTS)
    lengths = panel.groupby("unique_id")["y"].transform("size")
    return panel[lengths >= needed]


def compare_methods(
    makers: dict[str, Callable[[], Any]],
    panel: pd.DataFrame,
    *,
    h: int,
    n_windows: int,
    step: int,
    season_length: int,
    levels=LEVELS,
    cache: ForecastCache | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, dict[str, float]]:
    """Aggregated metrics (mase, smape, rmsse, coverage_<level> for each of `levels`) per
    method.

    With `cache`, models built from members fit each member once per distinct training frame,
    across every window, their own selection backtests and every method (see
    `models.backtest.ForecastCache`); the scores are those of refitting at every window.
    """
    levels = level_labels(levels)
    results = {}
    for name, make in makers.items():
        progress(f"backtesting {name} over {n_windows} window(s) of {h} steps")
        forecasts = backtest(
            make, panel, h=h, n_windows=n_windows, step=step, levels=levels, cache=cache
        )
        per_series = per_series_metrics(
            forecasts, panel, season_length=season_length, levels=levels
        )
        results[name] = aggregate_metrics(per_series)
    return results


def markdown_table(results: dict[str, dict[str, float]], levels=LEVELS) -> str:
    columns = ["mase", "smape", "rmsse", *(f"coverage_{lv}" for lv in level_labels(levels))]
    lines = [
        "| method | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for name, metrics in results.items():
        cells = [f"{metrics.get(c, float('nan')):.4f}" for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
