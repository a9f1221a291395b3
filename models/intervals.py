"""Conformal prediction intervals from rolling-origin (cross-validation) residuals.

Residuals are divided by each series' in-sample seasonal-naive scale so one calibration serves
every series, including series first seen at prediction time: the interval half-width at step
k for level L is the conformal L-quantile of the scaled step-k residuals times the series' scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from models.metrics import in_sample_scales, interval_columns

__all__ = ["ConformalIntervals", "interval_columns", "series_scales"]


def series_scales(history: pd.DataFrame, season_length: int) -> pd.Series:
    """Per-series scale for intervals: seasonal-naive MAE, else mean |y|, else 1 (flat zeros)."""
    scales = in_sample_scales(history, season_length)
    level = history.groupby("unique_id", sort=False)["y"].agg(lambda y: float(np.mean(np.abs(y))))
    scales = scales.where(scales > 0, level.reindex(scales.index))
    return scales.where(scales > 0, 1.0).fillna(1.0)


class ConformalIntervals:
    """Scaled absolute residuals per forecast step, and the intervals they imply."""

    def __init__(self, steps: np.ndarray, scores: np.ndarray):
        if len(steps) == 0:
            raise ValueError("conformal calibration needs at least one residual")
        order = np.lexsort((scores, steps))
        self.steps = np.asarray(steps, dtype=np.int32)[order]
        self.scores = np.asarray(scores, dtype=np.float64)[order]

    @classmethod
    def calibrate(
        cls, backtest: pd.DataFrame, history: pd.DataFrame, season_length: int
    ) -> ConformalIntervals:
        """From backtest rows (`unique_id`, `ds`, `cutoff`, `y`, `yhat`) and the full history.

        Each window's residuals are scaled with the scale of the data up to its cutoff.
        """
        parts = []
        for cutoff, window in backtest.groupby("cutoff", sort=True):
            scales = series_scales(history[history["ds"] <= cutoff], season_length)
            window = window.sort_values(["unique_id", "ds"])
            step = window.groupby("unique_id", sort=False).cumcount().to_numpy() + 1
            scale = window["unique_id"].map(scales).to_numpy(float)
            score = np.abs(window["y"].to_numpy(float) - window["yhat"].to_numpy(float)) / scale
            parts.append((step, score))
        steps = np.concatenate([p[0] for p in parts])
        scores = np.concatenate([p[1] for p in parts])
        finite = np.isfinite(scores)
        if not finite.all():
            raise ValueError(f"{int((~finite).sum())} backtest residuals are not finite")
        return cls(steps, scores)

    @property
    def max_step(self) -> int:
        return int(self.steps.max())

    def quantile(self, step: int, level: float) -> float:
        """Conformal quantile (finite-sample corrected) of the scaled residuals at one step.

        Steps beyond the calibrated horizon reuse the last calibrated step.
        """
        if not 0 < level < 100:
            raise ValueError(f"interval level must be between 0 and 100, got {level}")
        at_step = self.scores[self.steps == min(step, self.max_step)]
        rank = min(math.ceil((len(at_step) + 1) * level / 100), len(at_step))
        return float(at_step[rank - 1])

    def apply(
        self, forecasts: pd.DataFrame, scales: pd.Series, levels: Sequence[float]
    ) -> pd.DataFrame:
        """Add `yhat_lo_L` / `yhat_hi_L` to forecasts sorted by (unique_id, ds)."""
        out = forecasts.copy()
        step = out.groupby("unique_id", sort=False).cumcount().to_numpy() + 1
        scale = out["unique_id"].map(scales)
        if scale.isna().any():
            unknown = sorted(out.loc[scale.isna(), "unique_id"].unique())[:10]
            raise ValueError(f"no interval scale for series {unknown}")
        for level in levels:
            table = {k: self.quantile(k, level) for k in np.unique(step)}
            width = np.array([table[k] for k in step]) * scale.to_numpy(float)
            lo, hi = interval_columns(level)
            out[lo] = out["yhat"] - width
            out[hi] = out["yhat"] + width
        return out

    def save(self, path: str | Path) -> None:
        np.savez(Path(path), steps=self.steps, scores=self.scores)

    @classmethod
    def load(cls, path: str | Path) -> ConformalIntervals:
        with np.load(Path(path)) as data:
            return cls(data["steps"], data["scores"])
