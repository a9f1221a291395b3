"""The training step on a Dask cluster: the model fitted from the snapshot's parts on the workers."""

from __future__ import annotations

from typing import Any

from models.cluster import fit_combined_on_cluster
from models.combined import CombinedForecaster
from orchestration.compute import TrainingCompute
from orchestration.contracts import PanelSnapshot
from orchestration.resources import ObjectStorage

__all__ = ["fit_from_snapshot"]


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
