"""Rolling-origin evaluation: refit at each cutoff, forecast h steps, align with the actuals.

Windows are counted back from the end of each series: window 0 holds out the last `h` points,
window w the `h` points ending `w * step` earlier. Series may end on different dates; each keeps
its own cutoff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pandas as pd

from models.validation import PanelProblem, PanelValidationError

__all__ = ["backtest", "calibration_subset", "holdout", "split_windows"]

MIN_TRAIN_POINTS = 2


def split_windows(
    df: pd.DataFrame, *, h: int, n_windows: int = 1, step: int | None = None
) -> Iterator[tuple[int, pd.DataFrame, pd.DataFrame]]:
    """Yield `(window, train, test)` from the earliest window to the last-h holdout.

    `df` must be sorted by (unique_id, ds). `test` carries a `cutoff` column: the last training
    timestamp of its series in that window.
    """
    if h < 1 or n_windows < 1:
        raise ValueError(f"h and n_windows must be >= 1, got {h} and {n_windows}")
    step = h if step is None else step
    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    lengths = df.groupby("unique_id", sort=False)["y"].transform("size")
    position = df.groupby("unique_id", sort=False).cumcount()
    needed = h + (n_windows - 1) * step + MIN_TRAIN_POINTS
    short = sorted(df.loc[lengths < needed, "unique_id"].unique())
    if short:
        message = (
            f"series too short for {n_windows} backtest windows of {h} steps every {step} "
            f"(need {needed} points): {short[:10]}"
        )
        raise PanelValidationError([PanelProblem("too_short", message, [str(s) for s in short])])
    for window in range(n_windows - 1, -1, -1):
        train_end = lengths - h - window * step  # rows before this position are training data
        in_train = position < train_end
        in_test = (position >= train_end) & (position < train_end + h)
        train = df[in_train]
        cutoffs = train.groupby("unique_id", sort=False)["ds"].max()
        test = df[in_test]
        test = test.assign(cutoff=test["unique_id"].map(cutoffs))
        yield window, train, test


def calibration_subset(
    df: pd.DataFrame, *, h: int, max_windows: int, min_train: int
) -> tuple[pd.DataFrame, int]:
    """The series long enough for the most windows (up to `max_windows`) that any series allows.

    Used by in-fit backtests (interval calibration, member selection): shorter series still get
    forecasts from the final model, they just do not contribute residuals. Raises when no series
    can hold even one window.
    """
    lengths = df.groupby("unique_id", sort=False)["y"].size()
    for n_windows in range(max(max_windows, 1), 0, -1):
        eligible = lengths.index[lengths >= h * n_windows + min_train]
        if len(eligible):
            return df[df["unique_id"].isin(eligible)], n_windows
    raise ValueError(
        f"no series has the {h + min_train} points needed to hold out {h} steps and keep "
        f"{min_train} for training"
    )


def _align(forecasts: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    actuals = test[["unique_id", "ds", "cutoff", "y"]]
    aligned = actuals.merge(forecasts, on=["unique_id", "ds"], how="left", validate="one_to_one")
    if aligned["yhat"].isna().any():
        missing = aligned.loc[aligned["yhat"].isna(), ["unique_id", "ds"]].head(5)
        raise ValueError(f"the model returned no forecast for some test rows, e.g. {missing}")
    return aligned


def backtest(
    make_model: Callable[[], Any],
    df: pd.DataFrame,
    *,
    h: int,
    n_windows: int = 1,
    step: int | None = None,
    levels: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Fit a fresh model from `make_model()` at every window and forecast `h` steps.

    Returns `unique_id`, `ds`, `cutoff`, `window`, `y` (actual), `yhat` and the interval
    columns for `levels`, one row per held-out point.
    """
    df = df.sort_values(["unique_id", "ds"], kind="stable")
    results = []
    for window, train, test in split_windows(df, h=h, n_windows=n_windows, step=step):
        model = make_model()
        model.fit(train)
        forecasts = model.predict(h, levels=levels)
        results.append(_align(forecasts, test).assign(window=window))
    columns = ["unique_id", "ds", "cutoff", "window", "y"]
    out = pd.concat(results, ignore_index=True)
    return out[columns + [c for c in out.columns if c not in columns]]


def holdout(
    make_model: Callable[[], Any],
    df: pd.DataFrame,
    *,
    h: int,
    levels: Sequence[float] | None = None,
) -> pd.DataFrame:
    """The last-h holdout: one backtest window."""
    return backtest(make_model, df, h=h, n_windows=1, levels=levels)
