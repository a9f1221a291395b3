"""Live accuracy: stored forecasts against the actuals that arrived after them.

The same metrics as the backtest, on the forecasts a model version really served:

- MASE: absolute error divided by the series' in-sample seasonal-naive error
  (`models.metrics.in_sample_scales`, the backtest's scale), computed on the history the
  forecast was made from: the observations strictly before the forecast's first target
  (its `origin`). With one origin per series this is exactly the backtest's
  `mean |y - yhat| / scale`; with several, each point is scaled by its own origin's scale.
- sMAPE (M3, 0-200), bias (mean of `yhat - y`: positive means over-forecasting) and interval
  coverage per level (share of actuals inside `[lo, hi]`).

Forecast points whose actual has not arrived yet are not evaluated (`pending_points` counts
them); nothing else is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from models.metrics import in_sample_scales, interval_columns, smape_terms

__all__ = ["POINT_COLUMNS", "join_actuals", "live_metrics", "pending_points", "summarize"]

# What `live_metrics` needs of each forecast point (plus `yhat_lo_L` / `yhat_hi_L` per level).
POINT_COLUMNS = ("model_version", "unique_id", "ds", "origin", "yhat")
_KEYS = ["model_version", "unique_id"]


def _check_columns(frame: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}; it has {list(frame.columns)}")


def join_actuals(points: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    """Forecast points with their actual `y`; points without an actual are left out here
    (see `pending_points`). One actual per (series, ds) is required."""
    _check_columns(points, POINT_COLUMNS, "forecast points")
    _check_columns(actuals, ("unique_id", "ds", "y"), "actuals")
    if actuals.duplicated(["unique_id", "ds"]).any():
        raise ValueError("actuals hold more than one value for a (unique_id, ds)")
    return points.merge(actuals[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="inner")


def pending_points(points: pd.DataFrame, actuals: pd.DataFrame) -> int:
    """How many forecast points have no actual yet."""
    keys = pd.MultiIndex.from_frame(actuals[["unique_id", "ds"]])
    return int((~pd.MultiIndex.from_frame(points[["unique_id", "ds"]]).isin(keys)).sum())


def _origin_scales(joined: pd.DataFrame, history: pd.DataFrame, season_length: int) -> pd.Series:
    """The backtest's scale of each (unique_id, origin), from history strictly before origin."""
    scales = {}
    history = history.sort_values(["unique_id", "ds"])
    for origin, group in joined.groupby("origin", sort=True):
        train = history[(history["ds"] < origin) & history["unique_id"].isin(group["unique_id"])]
        for unique_id, scale in in_sample_scales(train, season_length).items():
            scales[(unique_id, origin)] = scale
    return _scales_of(joined, scales)


def _scales_of(joined: pd.DataFrame, scales) -> pd.Series:
    """Each joined point's scale, looked up by (unique_id, origin) in `scales` (NaN where
    there is none)."""
    index = pd.MultiIndex.from_frame(joined[["unique_id", "origin"]])
    return pd.Series([scales.get(key, np.nan) for key in index], index=joined.index)


def live_metrics(
    points: pd.DataFrame,
    actuals: pd.DataFrame,
    history: pd.DataFrame | None = None,
    *,
    season_length: int,
    levels: Sequence[int] = (),
    scales: Mapping[tuple[str, pd.Timestamp], float] | None = None,
) -> pd.DataFrame:
    """Metrics per (model_version, unique_id): `points` evaluated, `mase`, `smape`, `bias`,
    `mae`, and `coverage_L` per level (NaN where the forecasts carry no such level).

    `history` is the long panel (`unique_id`, `ds`, `y`) the scales come from; a series with
    too little history before the origin, or a flat one, has NaN MASE, as in the backtest.
    Instead of `history`, `scales` may give those scales already computed, by (unique_id,
    origin) (`core.db.repositories.observations.seasonal_scales` computes them in the
    database); a missing or None scale is NaN MASE.
    """
    if (history is None) == (scales is None):
        raise ValueError("give either the history or the scales computed from it")
    joined = join_actuals(points, actuals)
    columns = [*_KEYS, "points", "mase", "smape", "bias", "mae"]
    columns += [f"coverage_{level:g}" for level in levels]
    if joined.empty:
        return pd.DataFrame(columns=columns)
    y, yhat = joined["y"].to_numpy(float), joined["yhat"].to_numpy(float)
    frame = joined.assign(
        abs_error=np.abs(y - yhat),
        scaled_error=np.abs(y - yhat)
        / (
            _origin_scales(joined, history, season_length)
            if scales is None
            else _scales_of(joined, {k: np.nan if v is None else v for k, v in scales.items()})
        ),
        smape_term=smape_terms(y, yhat),
        error=yhat - y,
    )
    for level in levels:
        lo_column, hi_column = interval_columns(level)
        if lo_column not in frame.columns:
            frame[f"coverage_{level:g}"] = np.nan
            continue
        lo, hi = frame[lo_column], frame[hi_column]
        inside = ((frame["y"] >= lo) & (frame["y"] <= hi)).astype(float)
        frame[f"coverage_{level:g}"] = inside.where(lo.notna() & hi.notna())
    grouped = frame.groupby(_KEYS, sort=True)
    result = pd.DataFrame(
        {
            "points": grouped.size(),
            # skipna=False: one unscalable point makes the series' MASE undefined, never smaller
            "mase": grouped["scaled_error"].apply(lambda s: s.mean(skipna=False)),
            "smape": grouped["smape_term"].mean(),
            "bias": grouped["error"].mean(),
            "mae": grouped["abs_error"].mean(),
        }
    )
    for level in levels:
        result[f"coverage_{level:g}"] = grouped[f"coverage_{level:g}"].mean()
    return result.reset_index()[columns]


def summarize(per_series: pd.DataFrame) -> dict[str, float | int]:
    """One model version's figures: the mean over series of each metric (NaN MASE of flat
    series skipped, as `models.metrics.aggregate_metrics` does) and the points evaluated."""
    if per_series["model_version"].nunique() > 1:
        raise ValueError("summarize one model version at a time")
    figures: dict[str, float | int] = {
        "series": len(per_series),
        "points": int(per_series["points"].sum()),
    }
    for column in per_series.columns:
        if column in ("mase", "smape", "bias", "mae") or column.startswith("coverage_"):
            figures[column] = float(per_series[column].mean())
    return figures
