"""Batch forecasts: after a roll-out (or nightly), a forecast for every series, stored in bulk.

One partition per series shard: on Kubernetes each shard's run gets its own pod (the
k8s_job_executor), and re-running one shard is one click on its partition.
"""

import time
from dataclasses import dataclass

import dagster as dg
import pandas as pd
from pydantic import Field
from sqlalchemy.orm import Session

from core.datasets import DEFAULT_DATASET
from core.db.repositories.forecasts import NewForecast, save_forecasts_bulk
from core.db.repositories.observations import read_recent_panel
from core.db.repositories.series import series_in_shard
from models.artifact import load_model_dir
from models.metrics import interval_columns
from orchestration.contracts import Rollout
from orchestration.defs.forecasting.sharding import shard_of, shard_partitions
from orchestration.resources import MLflowTracking, OperationalDatabase, StepScratch

__all__ = [
    "BatchForecastPolicy",
    "ShardOutcome",
    "batch_forecast_points",
    "forecast_shard",
    "make_batch_forecasts",
]


class BatchForecastPolicy(dg.ConfigurableResource):
    """What a batch forecast is: the API's defaults, so the stored forecast is what a
    request without options would get."""

    horizon: int = Field(description="Steps ahead (the API's default horizon).")
    levels: list[int] = Field(default=[80, 95], description="Interval levels in percent.")
    history_points: int = Field(
        default=730, description="Observations per series the model forecasts from."
    )
    write_batch: int = Field(default=5000, description="Rows per executemany batch.")


def batch_forecast_points(
    forecasts: pd.DataFrame, levels: list[int]
) -> dict[str, list[dict[str, object]]]:
    """Series name -> its points (`ds`, `yhat`, `lo`/`hi` per level) from a model's frame."""
    columns = {level: interval_columns(level) for level in levels}
    points: dict[str, list[dict[str, object]]] = {}
    ds = pd.DatetimeIndex(forecasts["ds"]).to_pydatetime()  # Series.dt.to_pydatetime is deprecated
    yhat = forecasts["yhat"].to_numpy()
    bounds = {
        level: (forecasts[lo].to_numpy(), forecasts[hi].to_numpy())
        for level, (lo, hi) in columns.items()
    }
    for row, name in enumerate(forecasts["unique_id"].astype(str)):
        points.setdefault(name, []).append(
            {
                "ds": ds[row],
                "yhat": float(yhat[row]),
                "lo": {str(level): float(lo[row]) for level, (lo, _) in bounds.items()},
                "hi": {str(level): float(hi[row]) for level, (_, hi) in bounds.items()},
            }
        )
    return points


def _forecastable(model, panel: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The series the model can forecast from (`panel` itself when it can forecast every one,
    not a copy), and why each other one cannot."""
    needed = getattr(model, "min_forecast_history", lambda: 1)()
    lengths = panel.groupby("unique_id", sort=False)["y"].size()
    short = lengths.index[lengths < needed]
    if short.empty:
        return panel, {}
    reasons = {
        str(name): f"{lengths[name]} observations, the model needs {needed}" for name in short
    }
    return panel[~panel["unique_id"].isin(short)], reasons


@dataclass
class ShardOutcome:
    series: int  # series in the shard
    written: int  # forecasts stored
    skipped: dict[str, str]  # series without a forecast -> why
    timings: dict[str, float]


def forecast_shard(
    session: Session,
    model,
    *,
    shard: int,
    shards: int,
    policy: BatchForecastPolicy,
    model_name: str,
    model_version: str,
    request_id: str,
) -> ShardOutcome:
    """The batch asset's work for one shard: read the history, forecast, store in bulk (the
    forecasts are committed together, or not at all)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    names = series_in_shard(session, shard, shards)
    panel = read_recent_panel(session, policy.history_points, names) if names else None
    session.commit()  # end the read transaction before the (long) predict
    timings["read_history_s"] = time.perf_counter() - started
    if not names or panel is None or panel.empty:
        return ShardOutcome(len(names), 0, dict.fromkeys(names, "no observations"), timings)
    without = sorted(set(names) - set(panel["unique_id"].unique()))
    usable, skipped = _forecastable(model, panel)
    skipped |= dict.fromkeys(without, "no observations")
    del panel

    started = time.perf_counter()
    # Validated once without a copy (the frame read is let go right after, and nothing changes
    # either in place): the history is held once.
    history = model.validate_history(usable, copy=False)
    del usable
    cutoffs = history.groupby("unique_id", sort=False)["ds"].max()
    predicted = model.predict_validated(policy.horizon, history, policy.levels)
    timings["predict_s"] = time.perf_counter() - started
    del history  # not needed past here

    started = time.perf_counter()
    points = batch_forecast_points(predicted, policy.levels)
    rows = (
        NewForecast(
            series_id=names[name],
            request_id=request_id,
            model_name=model_name,
            model_version=model_version,
            horizon=policy.horizon,
            levels=policy.levels,
            points=series_points,
            kind="batch",
            data_cutoff=cutoffs[name].to_pydatetime(),
        )
        for name, series_points in points.items()
    )
    written = save_forecasts_bulk(session, rows, batch_size=policy.write_batch)
    session.commit()
    timings["store_s"] = time.perf_counter() - started
    return ShardOutcome(len(names), written, skipped, timings)


def make_batch_forecasts(shards: int) -> dg.AssetsDefinition:
    """The `batch_forecasts` asset over `shards` static series shards."""

    @dg.asset(
        group_name="forecasting",
        partitions_def=shard_partitions(shards),
        # The roll-out it forecasts with is the `default` dataset's, the one served
        # (docs/datasets.md): every shard reads that partition of `model_deployment`.
        ins={
            "model_deployment": dg.AssetIn(
                partition_mapping=dg.SpecificPartitionsPartitionMapping([DEFAULT_DATASET])
            )
        },
        description="A forecast of every series of one shard by the model just rolled out, "
        "at the API's default horizon and levels, stored in the operational DB in bulk "
        "(COPY on PostgreSQL) with the model version and each series' data cut-off.",
    )
    def batch_forecasts(
        context: dg.AssetExecutionContext,
        model_deployment: Rollout,
        database: OperationalDatabase,
        mlflow_tracking: MLflowTracking,
        batch_policy: BatchForecastPolicy,
        scratch: StepScratch,
    ) -> dg.MaterializeResult:
        shard, count = shard_of(context.partition_key)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        model_dir = mlflow_tracking.model_version_dir(model_deployment.model_version, scratch.path)
        model, _ = load_model_dir(model_dir)
        timings["load_model_s"] = time.perf_counter() - started

        with database.session() as session:
            outcome = forecast_shard(
                session,
                model,
                shard=shard,
                shards=count,
                policy=batch_policy,
                model_name=mlflow_tracking.model_name,
                model_version=model_deployment.model_version,
                request_id=f"batch:{context.run.run_id}",
            )
        timings.update(outcome.timings)
        skipped, written, names = outcome.skipped, outcome.written, outcome.series
        if skipped:
            shown = dict(list(skipped.items())[:20])
            context.log.warning(f"{len(skipped)} series got no batch forecast: {shown}")
        return dg.MaterializeResult(
            metadata={
                "shard": f"{shard} of {count}",
                "model_version": model_deployment.model_version,
                "series": names,
                "forecasts": written,
                "points": written * batch_policy.horizon,
                "skipped": len(skipped),
                "skipped_series": dg.MetadataValue.json(dict(list(skipped.items())[:100])),
                **{name: round(value, 3) for name, value in timings.items()},
            }
        )

    return batch_forecasts
