"""The training step on a Dask cluster: the model fitted from the snapshot's parts on the workers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg

from models.cluster import backtest_on_cluster, fit_combined_on_cluster
from models.combined import CombinedForecaster
from orchestration.compute import TrainingCompute
from orchestration.contracts import PanelSnapshot
from orchestration.defs.training.comparison import comparable_panel
from orchestration.resources import ObjectStorage

__all__ = ["compare_from_snapshot", "fit_from_snapshot"]


def _size(part) -> tuple[int, int]:
    return int(part["unique_id"].nunique()), len(part)


def fit_from_snapshot(
    model: CombinedForecaster,
    compute: TrainingCompute,
    client: Any,
    storage: ObjectStorage,
    observations: PanelSnapshot,
    log: Any,
) -> tuple[int, int]:
    """Fit `model` with each worker reading its series of the snapshot; (series, rows)."""
    if not isinstance(model, CombinedForecaster):
        raise TypeError(f"no cluster fit for {type(model).__name__}")
    parts = compute.partitions(
        client, storage, observations.snapshot_key, observations.training_series
    )
    sizes = parts.collect(_size)
    n_series, n_rows = sum(s for s, _ in sizes), sum(r for _, r in sizes)
    log.info(
        f"Fitting {type(model).__name__} on {n_series} series, {n_rows} rows in "
        f"{len(parts.parts)} parts on the Dask cluster ({compute.mode}, LightGBM "
        f"{compute.lightgbm})"
    )
    fit_combined_on_cluster(model, parts, lightgbm=compute.lightgbm)
    parts.release()
    return n_series, n_rows


def compare_from_snapshot(
    makers: dict[str, Callable[[], Any]],
    compute: TrainingCompute,
    client: Any,
    storage: ObjectStorage,
    snapshot_key: str,
    series: Sequence[str],
    *,
    h: int,
    n_windows: int,
    step: int,
    min_train: int,
    season_length: int,
    levels: Sequence[float],
    progress: Callable[[str], None],
) -> tuple[dict[str, dict[str, float]], int]:
    """`compare_methods` on the comparable series of the snapshot, each worker reading and
    backtesting its own (combined models are fitted per window across the workers); the
    metrics per method and how many series they cover."""
    parts = compute.partitions(client, storage, snapshot_key, series)
    comparable = parts.map(
        comparable_panel, h=h, n_windows=n_windows, step=step, min_train=min_train
    )
    sizes = comparable.collect(_size)
    n_series = sum(s for s, _ in sizes)
    if not n_series:
        raise dg.Failure(
            f"no series is long enough for {n_windows} backtest window(s) of {h} steps"
        )
    comparable = comparable.nonempty()
    results = {}
    for name, make in makers.items():
        progress(f"backtesting {name} over {n_windows} window(s) of {h} steps on the cluster")
        results[name] = backtest_on_cluster(
            make, comparable, h=h, n_windows=n_windows, step=step,
            season_length=season_length, levels=levels, lightgbm=compute.lightgbm,
        )  # fmt: skip
    parts.release()
    return results, n_series
