"""Rolling-origin evaluation: refit at each cutoff, forecast h steps, align with the actuals.

Windows are counted back from the end of each series: window 0 holds out the last `h` points,
window w the `h` points ending `w * step` earlier. Series may end on different dates; each keeps
its own cutoff.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from models.validation import PanelProblem, PanelValidationError

__all__ = [
    "ForecastCache",
    "align_forecasts",
    "backtest",
    "calibration_subset",
    "calibration_windows",
    "fit_and_forecast",
    "future_covariates",
    "holdout",
    "sample_series",
    "split_windows",
]

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


def calibration_windows(
    lengths: pd.Series, *, h: int, max_windows: int, min_train: int
) -> tuple[int, int]:
    """(windows, points a series needs for them): the most windows (up to `max_windows`) that
    any series allows, from each series' length (`lengths`, one entry per series). Raises when
    no series can hold even one window."""
    for n_windows in range(max(max_windows, 1), 0, -1):
        needed = h * n_windows + min_train
        if (lengths >= needed).any():
            return n_windows, needed
    raise ValueError(
        f"no series has the {h + min_train} points needed to hold out {h} steps and keep "
        f"{min_train} for training"
    )


def sample_series(ids: pd.Index, limit: int | None) -> pd.Index:
    """At most `limit` of `ids` (all of them when `limit` is None or not below their count).

    The same series whatever order or parts the ids come in, in every process and run: those
    whose id hashes lowest under pandas' fixed-key hash. Kept in the order given."""
    if limit is None or len(ids) <= limit:
        return ids
    if limit < 1:
        raise ValueError(f"limit must be >= 1 or None, got {limit}")
    keys = pd.util.hash_array(np.asarray(ids.astype(str), dtype=object), categorize=False)
    lowest = np.argsort(keys, kind="stable")[:limit]
    return ids[np.sort(lowest)]


def calibration_subset(
    df: pd.DataFrame,
    *,
    h: int,
    max_windows: int,
    min_train: int,
    max_series: int | None = None,
) -> tuple[pd.DataFrame, int]:
    """The series long enough for the most windows (up to `max_windows`) that any series
    allows; of those at most `max_series` (`sample_series`), None for all.

    Used by in-fit backtests (interval calibration, member selection): the other series still
    get forecasts from the final model, they just do not contribute residuals. Raises when no
    series can hold even one window.
    """
    lengths = df.groupby("unique_id", sort=False)["y"].size()
    n_windows, needed = calibration_windows(
        lengths, h=h, max_windows=max_windows, min_train=min_train
    )
    chosen = sample_series(lengths.index[lengths >= needed], max_series)
    return df[df["unique_id"].isin(chosen)], n_windows


def _training_key(train: pd.DataFrame, future: pd.DataFrame | None = None) -> str:
    """A digest of the exact rows a model is fitted on (series, timestamps and values, and
    any covariate columns) and of the future covariate values it forecasts with."""
    extra = sorted(c for c in train.columns if c not in ("unique_id", "ds", "y"))
    hashed = pd.util.hash_pandas_object(train[["unique_id", "ds", "y", *extra]], index=False)
    digest = hashlib.sha256(hashed.to_numpy().tobytes())
    if future is not None:
        columns = [
            "unique_id",
            "ds",
            *sorted(c for c in future.columns if c not in ("unique_id", "ds")),
        ]
        digest.update(pd.util.hash_pandas_object(future[columns], index=False).to_numpy().tobytes())
    return digest.hexdigest()


def future_covariates(model: Any, test: pd.DataFrame) -> pd.DataFrame | None:
    """The known-in-advance covariate values of a backtest window's test rows that `model`
    forecasts with (None for a model without such covariates): the values recorded for
    those dates, as a known-in-advance covariate would be at forecast time."""
    columns = getattr(model, "future_columns", lambda: [])()
    if not columns:
        return None
    return test[["unique_id", "ds", *columns]].reset_index(drop=True)


def _series_digests(train: pd.DataFrame) -> pd.Series:
    """A digest per series of the exact rows a local model fits on (`unique_id` -> digest)."""
    hashed = pd.Series(
        pd.util.hash_pandas_object(train[["unique_id", "ds", "y"]], index=False).to_numpy()
    )
    return hashed.groupby(train["unique_id"].to_numpy(), sort=False).agg(
        lambda rows: hashlib.sha256(rows.to_numpy().tobytes()).hexdigest()
    )


def fit_and_forecast(
    model_key: str,
    make_model: Callable[[], Any],
    train: pd.DataFrame,
    h: int,
    *,
    local: bool = False,
    future: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """`make_model().fit(train).predict(h)`: a member forecast computed afresh (no cache).
    The signature is that of `ForecastCache`, which it stands in for. `future` holds the
    known-in-advance covariate values of the horizon, for a model that takes them."""
    model = make_model().fit(train)
    if future is None:
        return model.predict(h)
    return model.predict(h, future=future)


class ForecastCache:
    """Point forecasts of fresh models, each fitted once per (model, training rows, horizon).

    Rolling-origin backtests fit the same model on the same truncated panel many times: the
    selection backtest inside a combined model's fit at one outer cutoff uses the training
    data that another outer window (or another method with the same members) fits on. Fits
    are deterministic, so a repeat gives nothing new; the cache hands back the first one.
    `model_key` must name everything that decides the fit (class and configuration).

    A global model (LightGBM) is keyed by its whole training frame. A local model (one model
    per series: ETS, Theta) is keyed per series, so a panel of other series shares the fits
    of the series it has in common, and only the missing series are fitted. Those local
    forecasts can be written out (`local_frame`) and read back (`add_local`) by another step.
    """

    def __init__(self) -> None:
        self._forecasts: dict[tuple[str, int, str], pd.DataFrame] = {}
        self._local: dict[tuple[str, int], dict[tuple[Any, str], pd.DataFrame]] = {}
        self.fitted: list[str] = []  # the model key of every fit, in order
        self.reused = 0

    @property
    def fits(self) -> int:
        return len(self.fitted)

    def __call__(
        self,
        model_key: str,
        make_model: Callable[[], Any],
        train: pd.DataFrame,
        h: int,
        *,
        local: bool = False,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """`make_model().fit(train).predict(h)`, computed once for each distinct input."""
        if local:
            return self._local_forecast(model_key, make_model, train, h)
        key = (model_key, h, _training_key(train, future))
        cached = self._forecasts.get(key)
        if cached is not None:
            self.reused += 1
            return cached.copy()
        forecast = fit_and_forecast(model_key, make_model, train, h, future=future)
        self.fitted.append(model_key)
        self._forecasts[key] = forecast
        return forecast.copy()

    def _local_forecast(
        self, model_key: str, make_model: Callable[[], Any], train: pd.DataFrame, h: int
    ) -> pd.DataFrame:
        digests = _series_digests(train)
        store = self._local.setdefault((model_key, h), {})
        missing = [uid for uid, digest in digests.items() if (uid, digest) not in store]
        if missing:
            part = train[train["unique_id"].isin(missing)]
            forecast = fit_and_forecast(model_key, make_model, part, h)
            self.fitted.append(model_key)
            for uid, rows in forecast.groupby("unique_id", sort=False):
                store[(uid, digests[uid])] = rows
        else:
            self.reused += 1
        parts = [store[(uid, digest)] for uid, digest in digests.items()]
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)

    def local_frame(self) -> pd.DataFrame:
        """Every local forecast, with its model key, horizon and series digest."""
        entries = [
            (model_key, h, digest, rows)
            for (model_key, h), store in self._local.items()
            for (_, digest), rows in store.items()
        ]
        if not entries:
            return pd.DataFrame(columns=["unique_id", "ds", "yhat", "model_key", "h", "digest"])
        # one concat and three repeated columns: a frame per entry cost ~1 s per 1,700 series
        lengths = [len(rows) for *_, rows in entries]
        out = pd.concat([rows for *_, rows in entries], ignore_index=True)
        for position, column in enumerate(("model_key", "h", "digest")):
            out[column] = np.repeat([entry[position] for entry in entries], lengths)
        return out

    def add_local(self, frame: pd.DataFrame) -> None:
        """Take over the local forecasts of `local_frame()` (from another cache)."""
        keys = ["model_key", "h", "digest", "unique_id"]
        rows = frame.drop(columns=keys[:3])
        for (model_key, h, digest, uid), positions in frame.groupby(
            keys, sort=False
        ).indices.items():
            store = self._local.setdefault((model_key, int(h)), {})
            store[(uid, digest)] = rows.iloc[positions].reset_index(drop=True)


def align_forecasts(forecasts: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
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
    cache: ForecastCache | None = None,
) -> pd.DataFrame:
    """Fit a fresh model from `make_model()` at every window and forecast `h` steps.

    With `cache`, a model that is built from members (it has `backtest_forecast`) takes each
    member's forecast from the cache: what `fit(train).predict(h, levels)` would return, with
    every member fitted at most once per distinct training frame across the windows (and
    across the backtests sharing the cache).

    Returns `unique_id`, `ds`, `cutoff`, `window`, `y` (actual), `yhat` and the interval
    columns for `levels`, one row per held-out point.
    """
    df = df.sort_values(["unique_id", "ds"], kind="stable")
    results = []
    for window, train, test in split_windows(df, h=h, n_windows=n_windows, step=step):
        model = make_model()
        future = future_covariates(model, test)
        with_future = {} if future is None else {"future": future}
        if cache is not None and hasattr(model, "backtest_forecast"):
            forecasts = model.backtest_forecast(
                train, h, levels=levels, forecast=cache, **with_future
            )
        else:
            model.fit(train)
            forecasts = model.predict(h, levels=levels, **with_future)
        results.append(align_forecasts(forecasts, test).assign(window=window))
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
