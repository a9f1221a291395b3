"""Forecast accuracy metrics: MASE, sMAPE (M3, 0-200), RMSSE and interval coverage.

Scaled metrics divide by the in-sample seasonal-naive error of each series' training part;
a series no longer than one season falls back to the naive (lag 1) error. A flat training part
(zero scale) makes the scaled metrics undefined: NaN, left out of the means. Aggregates are the
mean of the per-series values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "aggregate_metrics",
    "coverage",
    "in_sample_scales",
    "interval_columns",
    "mase",
    "per_series_metrics",
    "rmsse",
    "seasonal_scale",
    "smape",
    "smape_terms",
]


def interval_columns(level: float) -> tuple[str, str]:
    """Names of the lower and upper bound columns for one interval level (80 -> yhat_lo_80)."""
    return f"yhat_lo_{level:g}", f"yhat_hi_{level:g}"


def _seasonal_diffs(y_train: np.ndarray, season_length: int) -> np.ndarray:
    lag = season_length if len(y_train) > season_length else 1
    return y_train[lag:] - y_train[:-lag]


def seasonal_scale(y_train: Sequence[float], season_length: int, *, squared: bool = False) -> float:
    """Mean absolute (or squared) in-sample seasonal-naive error; NaN for one point or a flat
    series."""
    y = np.asarray(y_train, dtype=float)
    if len(y) < 2:
        return float("nan")
    diffs = _seasonal_diffs(y, season_length)
    scale = float(np.mean(diffs**2) if squared else np.mean(np.abs(diffs)))
    return scale if scale > 0 else float("nan")


def mase(y_true, y_pred, y_train, season_length: int) -> float:
    """Mean absolute scaled error of one series."""
    errors = np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float))
    return float(np.mean(errors) / seasonal_scale(y_train, season_length))


def rmsse(y_true, y_pred, y_train, season_length: int) -> float:
    """Root mean squared scaled error of one series (M5 definition)."""
    errors = (np.asarray(y_true, float) - np.asarray(y_pred, float)) ** 2
    return float(np.sqrt(np.mean(errors) / seasonal_scale(y_train, season_length, squared=True)))


def smape_terms(y: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Per-point sMAPE terms, 200 |y - f| / (|y| + |f|) (0/0 counts as 0)."""
    denominator = np.abs(y) + np.abs(f)
    ratio = np.divide(2 * np.abs(y - f), denominator, out=np.zeros_like(y), where=denominator > 0)
    return 100 * ratio


def smape(y_true, y_pred) -> float:
    """Symmetric MAPE, M3 definition: mean of 200 |y - f| / (|y| + |f|); 0/0 counts as 0."""
    return float(np.mean(smape_terms(np.asarray(y_true, float), np.asarray(y_pred, float))))


def coverage(y_true, lower, upper) -> float:
    """Share of actuals inside [lower, upper]."""
    y = np.asarray(y_true, float)
    return float(np.mean((y >= np.asarray(lower, float)) & (y <= np.asarray(upper, float))))


def in_sample_scales(df: pd.DataFrame, season_length: int, *, squared: bool = False) -> pd.Series:
    """`seasonal_scale` of every series in a long panel sorted by (unique_id, ds), vectorised."""
    grouped = df.groupby("unique_id", sort=False)["y"]
    long_enough = (grouped.transform("size") > season_length).to_numpy()
    previous = np.where(
        long_enough, grouped.shift(season_length).to_numpy(), grouped.shift(1).to_numpy()
    )
    diffs = df["y"].to_numpy(dtype=float) - previous
    errors = diffs**2 if squared else np.abs(diffs)
    keys = df["unique_id"].to_numpy()
    scales = pd.Series(errors).groupby(keys, sort=False).mean().rename_axis("unique_id")
    return scales.where(scales > 0)  # flat series: undefined, NaN


def _series_metrics(
    forecasts: pd.DataFrame, train: pd.DataFrame, season_length: int, levels: Sequence[float]
) -> pd.DataFrame:
    scale = in_sample_scales(train, season_length)
    squared_scale = in_sample_scales(train, season_length, squared=True)
    frame = forecasts.assign(
        abs_error=(forecasts["y"] - forecasts["yhat"]).abs(),
        sq_error=(forecasts["y"] - forecasts["yhat"]) ** 2,
        smape_term=smape_terms(forecasts["y"].to_numpy(float), forecasts["yhat"].to_numpy(float)),
    )
    for level in levels:
        lo, hi = (frame[c] for c in interval_columns(level))
        frame[f"coverage_{level:g}"] = ((frame["y"] >= lo) & (frame["y"] <= hi)).astype(float)
    grouped = frame.groupby("unique_id", sort=True)
    result = pd.DataFrame(
        {
            "mase": grouped["abs_error"].mean() / scale,
            "smape": grouped["smape_term"].mean(),
            "rmsse": np.sqrt(grouped["sq_error"].mean() / squared_scale),
        }
    )
    for level in levels:
        result[f"coverage_{level:g}"] = grouped[f"coverage_{level:g}"].mean()
    return result.rename_axis("unique_id").reset_index()


def per_series_metrics(
    forecasts: pd.DataFrame,
    train_df: pd.DataFrame,
    *,
    season_length: int,
    levels: Sequence[float] = (),
) -> pd.DataFrame:
    """Metrics per series (and per `cutoff` when the forecasts carry one).

    `forecasts` holds `unique_id`, `ds`, `y` (actual), `yhat` and `yhat_lo_L` / `yhat_hi_L` for
    each level. With a `cutoff` column, the scale uses only training rows up to that cutoff.
    """
    missing = set(forecasts["unique_id"]) - set(train_df["unique_id"])
    if missing:
        raise ValueError(f"forecast series without training data: {sorted(missing)[:10]}")
    train = train_df.sort_values(["unique_id", "ds"])
    if "cutoff" not in forecasts.columns:
        return _series_metrics(forecasts, train, season_length, levels)
    parts = []
    for cutoff, window in forecasts.groupby("cutoff", sort=True):
        part = _series_metrics(window, train[train["ds"] <= cutoff], season_length, levels)
        parts.append(part.assign(cutoff=cutoff))
    return pd.concat(parts, ignore_index=True)


def aggregate_metrics(per_series: pd.DataFrame) -> dict[str, float]:
    """Mean over series of every metric column (NaN scales, i.e. constant series, are skipped)."""
    columns = [c for c in per_series.columns if c not in ("unique_id", "cutoff")]
    return {c: float(per_series[c].mean()) for c in columns}
