"""Interval coverage on Tourism beside what the intervals were calibrated on.

The default model's conformal intervals take per-step quantiles of the scaled residuals of
its own backtest windows (the last `interval_windows` horizons of the training data, see
`models.intervals`). For each group this fits the default model once and reports:

- the held-out MASE and 80/95% coverage of the competition's test points (as `accuracy.py`);
- the MASE of the same combination in each backtest window, and the median scaled absolute
  error of the held-out points over that of the windows: how much harder the windows were;
- the held-out coverage with the intervals calibrated on each window alone, and with interval
  scales from each series' recent history only (its last `n` points before the cutoff instead
  of all of it), and with scales widened by how far the members' forecasts lie apart, to see
  whether a general change of the calibration would reach nominal.

    .venv/bin/python benchmarks/interval_coverage.py [--groups monthly quarterly]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._machine import machine_info, write_results
from models import load_tourism
from models.backtest import ForecastCache
from models.combined import CombinedForecaster
from models.intervals import ConformalIntervals, series_scales
from models.metrics import coverage, interval_columns, per_series_metrics
from models.validation import infer_freq, season_length_for, validate_panel

LEVELS = (80, 95)


def _recent_scales(history: pd.DataFrame, season_length: int, points: int | None) -> pd.Series:
    """`series_scales` of each series' last `points` seasonal differences (None: all)."""
    if points is not None:
        history = history.groupby("unique_id", sort=False).tail(points + season_length)
    return series_scales(history, season_length)


def _calibrate(
    residuals: pd.DataFrame, scales_at: Callable[[pd.Timestamp, pd.DataFrame], pd.Series]
) -> ConformalIntervals:
    """`ConformalIntervals.calibrate` with each window's series scales from
    `scales_at(cutoff, window)` (the window sorted by series and date)."""
    steps, scores = [], []
    for cutoff, window in residuals.groupby("cutoff", sort=True):
        window = window.sort_values(["unique_id", "ds"])
        scales = scales_at(cutoff, window)
        steps.append(window.groupby("unique_id", sort=False).cumcount().to_numpy() + 1)
        error = np.abs(window["y"].to_numpy(float) - window["yhat"].to_numpy(float))
        scores.append(error / window["unique_id"].map(scales).to_numpy(float))
    return ConformalIntervals(np.concatenate(steps), np.concatenate(scores))


def _spread(forecasts: pd.DataFrame, members: list[str]) -> pd.Series:
    """Per series: the members' forecasts' standard deviation, averaged over the steps."""
    deviation = forecasts[members].std(axis=1, ddof=0)
    return deviation.groupby(forecasts["unique_id"].to_numpy(), sort=False).mean()


def _coverage(held_out: pd.DataFrame, intervals: ConformalIntervals, scales: pd.Series) -> dict:
    bounded = intervals.apply(held_out, scales, LEVELS)
    return {
        str(level): coverage(bounded["y"], *(bounded[c] for c in interval_columns(level)))
        for level in LEVELS
    }


def _group(group: str) -> dict:
    train, test = load_tourism(group)
    freq = infer_freq(train)
    season_length = season_length_for(freq)
    horizon = int(test.groupby("unique_id").size().max())
    model = CombinedForecaster.from_defaults(freq, season_length, horizon)
    cache = ForecastCache()
    model.fit(train, forecast=cache)
    forecasts = model.predict(horizon, levels=list(LEVELS))
    held_out = test.merge(forecasts, on=["unique_id", "ds"], validate="one_to_one")
    held_out = held_out.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    scores = per_series_metrics(held_out, train, season_length=season_length, levels=LEVELS)

    # The fit's own backtest again, from the cache (no refit): what the intervals saw.
    panel = model._panel(validate_panel(train, freq=freq))
    scored, subset = model._member_backtest(panel, cache)
    residuals = model._residuals(scored)
    windows = per_series_metrics(residuals, subset, season_length=season_length)
    window_mase = {str(c.date()): float(w["mase"].mean()) for c, w in windows.groupby("cutoff")}
    full_scales = series_scales(train, season_length)
    held_out_error = (held_out["y"] - held_out["yhat"]).abs() / held_out["unique_id"].map(
        full_scales
    )
    window_error = []
    for cutoff, window in residuals.groupby("cutoff"):
        scales = series_scales(subset[subset["ds"] <= cutoff], season_length)
        window_error.append((window["y"] - window["yhat"]).abs() / window["unique_id"].map(scales))

    point = held_out[["unique_id", "ds", "y", "yhat"]]
    variants = {
        "as deployed (every window, whole history)": _coverage(point, model.intervals_, full_scales)
    }
    for cutoff, window in residuals.groupby("cutoff"):
        calibrated = ConformalIntervals.calibrate(window, subset, season_length)
        variants[f"window {cutoff.date()} alone"] = _coverage(point, calibrated, full_scales)
    for points in (season_length, 2 * horizon):
        calibrated = _calibrate(
            residuals,
            lambda cutoff, _, n=points: _recent_scales(
                subset[subset["ds"] <= cutoff], season_length, n
            ),
        )
        recent = _recent_scales(train, season_length, points)
        variants[f"scales from the last {points} points"] = _coverage(point, calibrated, recent)
    # Scale by the series' scale plus how far its members' forecasts lie apart (their mean
    # standard deviation over the window's steps): wider where the members disagree.
    members = list(model.members_)
    calibrated = _calibrate(
        residuals,
        lambda cutoff, window: series_scales(subset[subset["ds"] <= cutoff], season_length).pipe(
            lambda scales: scales + _spread(window, members).reindex(scales.index).fillna(0)
        ),
    )
    at_test = point.merge(
        pd.concat(
            [
                model._member_predict(name, horizon, None).set_index(["unique_id", "ds"])["yhat"]
                for name in members
            ],
            axis=1,
            keys=members,
        ).reset_index(),
        on=["unique_id", "ds"],
        validate="one_to_one",
    )
    spread_scales = full_scales + _spread(at_test, members).reindex(full_scales.index).fillna(0)
    variants["scales plus the members' spread"] = _coverage(point, calibrated, spread_scales)
    return {
        "series": int(train["unique_id"].nunique()),
        "horizon": horizon,
        "members": list(model.members_),
        "held_out_mase": float(scores["mase"].mean()),
        "held_out_coverage": {str(lv): float(scores[f"coverage_{lv}"].mean()) for lv in LEVELS},
        "window_mase": window_mase,
        "held_out_vs_windows_median_scaled_error": float(
            held_out_error.median() / pd.concat(window_error).median()
        ),
        "coverage_by_calibration": variants,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", nargs="+", default=["monthly", "quarterly"])
    args = parser.parse_args()
    machine = machine_info()
    results = {}
    lines = []
    for group in args.groups:
        r = results[group] = _group(group)
        windows = ", ".join(f"{c}: {m:.3f}" for c, m in r["window_mase"].items())
        lines += [
            f"**{group}** ({r['series']} series, h={r['horizon']}, members "
            f"{'+'.join(r['members'])}): held-out MASE {r['held_out_mase']:.3f}; the backtest "
            f"windows' MASE {windows}; held-out scaled errors / the windows' (medians): "
            f"{r['held_out_vs_windows_median_scaled_error']:.2f}\n",
            "| calibration | cov 80 | cov 95 |",
            "| --- | ---: | ---: |",
            *(
                f"| {name} | {c['80']:.3f} | {c['95']:.3f} |"
                for name, c in r["coverage_by_calibration"].items()
            ),
            "",
        ]
        print("\n".join(lines[-6:]), flush=True)
    path = write_results("interval_coverage", results, "\n".join(lines), machine)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
