"""Batch forecasts: after a roll-out (or nightly), a forecast for every series, stored in bulk.

One partition per dataset x series shard: each dataset's shards forecast with that dataset's
rolled-out champion, at its horizon and interval levels; on Kubernetes each shard's run gets
its own pod (the k8s_job_executor), and re-running one shard is one click on its partition.
"""

import time
import warnings
from dataclasses import dataclass

import dagster as dg
import pandas as pd
from pydantic import Field
from sqlalchemy.orm import Session

from core.db.repositories.covariates import read_covariate_values, with_stored_covariates
from core.db.repositories.datasets import dataset_config, find_dataset
from core.db.repositories.forecasts import NewForecast, save_forecasts_bulk
from core.db.repositories.observations import read_recent_panel
from core.db.repositories.series import series_in_shard
from models.artifact import load_model_dir
from models.covariates import (
    Covariate,
    MissingFutureCovariatesError,
    parse_covariates,
    require_future,
)
from models.metrics import interval_columns
from orchestration.contracts import Rollout
from orchestration.defs.forecasting.sharding import (
    DATASET_DIMENSION,
    batch_partitions,
    dataset_and_shard,
)
from orchestration.defs.ingestion.panel import describe_missing, missing_covariate_values
from orchestration.resources import MLflowTracking, OperationalDatabase, StepScratch

__all__ = [
    "BatchForecastPolicy",
    "ShardOutcome",
    "ShardPlan",
    "batch_forecast_points",
    "forecast_shard",
    "make_batch_forecasts",
]


class BatchForecastPolicy(dg.ConfigurableResource):
    """How batch forecasts read and write (the horizon and levels are each dataset's own)."""

    history_points: int = Field(
        default=730, description="Observations per series the model forecasts from."
    )
    write_batch: int = Field(default=5000, description="Rows per executemany batch.")


@dataclass(frozen=True)
class ShardPlan:
    """One shard's forecast: which series (the dataset's), how far ahead, which levels."""

    dataset_id: int | None
    horizon: int
    levels: list[float]
    history_points: int = 730
    write_batch: int = 5000

    @classmethod
    def for_dataset(
        cls, session: Session, dataset: str, policy: BatchForecastPolicy
    ) -> "ShardPlan":
        """The dataset's horizon and levels, as stored now (a deleted dataset is an error
        naming the known ones)."""
        found = find_dataset(session, dataset)
        config = dataset_config(found)
        return cls(
            dataset_id=found.id,
            horizon=config.effective_horizon,
            levels=[int(level) if float(level).is_integer() else level for level in config.levels],
            history_points=policy.history_points,
            write_batch=policy.write_batch,
        )


def batch_forecast_points(
    forecasts: pd.DataFrame, levels: list[float]
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
                "lo": {f"{level:g}": float(lo[row]) for level, (lo, _) in bounds.items()},
                "hi": {f"{level:g}": float(hi[row]) for level, (_, hi) in bounds.items()},
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


def _horizon_dates(panel: pd.DataFrame, freq: str, h: int) -> pd.DataFrame:
    """Every series' next `h` timestamps after its last observation (`unique_id`, `ds`)."""
    offset = pd.tseries.frequencies.to_offset(freq)
    last = panel.groupby("unique_id", sort=False)["ds"].max()
    with warnings.catch_warnings():  # offsets such as month starts add element by element
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        steps = [
            pd.DataFrame({"unique_id": last.index, "ds": (last + step * offset).to_numpy()})
            for step in range(1, h + 1)
        ]
    return pd.concat(steps, ignore_index=True)


def _reasons(missing: list[dict], where: str) -> dict[str, str]:
    """Series -> why it is not forecast, from (series, covariate, dates) records."""
    reasons: dict[str, list[str]] = {}
    for record in missing:
        reasons.setdefault(str(record["unique_id"]), []).append(describe_missing(record))
    return {name: f"{where}: " + "; ".join(why) for name, why in reasons.items()}


@dataclass
class StoredCovariates:
    """A covariate model's inputs from storage: the history with its stored values joined
    on, and the known-in-advance values stored for its horizon dates."""

    history: pd.DataFrame
    future: pd.DataFrame

    @classmethod
    def read(
        cls, session: Session, panel: pd.DataFrame, covariates: list[Covariate], plan: ShardPlan,
        freq: str,
    ) -> "StoredCovariates":  # fmt: skip
        history = with_stored_covariates(session, panel, covariates, dataset_id=plan.dataset_id)
        dates = _horizon_dates(panel, freq, plan.horizon)["ds"]
        future = read_covariate_values(
            session,
            covariates,
            dataset_id=plan.dataset_id,
            series_names=panel["unique_id"].astype(str).unique().tolist(),
            start=dates.min().to_pydatetime(),
            end=dates.max().to_pydatetime(),
        )  # rows with a null unique_id (values for every series) pass through as they are
        return cls(history, future)

    def without_gaps(
        self, usable: pd.DataFrame, covariates: list[Covariate], freq: str, h: int
    ) -> tuple[pd.DataFrame, dict[str, str]]:
        """The series of `usable` whose history holds every covariate value and whose horizon
        has every known-in-advance one, and why each other one is not forecast (the
        covariate and the dates lacking a value): one series' gap does not stop the others,
        and nothing is filled in."""
        valued = [c.name for c in covariates if c.kind != "calendar"]
        reasons = _reasons(missing_covariate_values(usable, valued), "history")
        complete = usable[~usable["unique_id"].astype(str).isin(reasons)]
        try:
            require_future(self.future, _horizon_dates(complete, freq, h), covariates)
        except MissingFutureCovariatesError as exc:
            reasons |= _reasons(exc.missing, "forecast dates")
        if not reasons:
            return usable, {}
        return usable[~usable["unique_id"].astype(str).isin(reasons)], reasons


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
    plan: ShardPlan,
    model_name: str,
    model_version: str,
    request_id: str,
) -> ShardOutcome:
    """The batch asset's work for one shard of one dataset's series: read the history,
    forecast, store in bulk (the forecasts are committed together, or not at all)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    names = series_in_shard(session, shard, shards, plan.dataset_id)
    panel = (
        read_recent_panel(session, plan.history_points, names, plan.dataset_id) if names else None
    )
    # A model trained with covariates forecasts from their stored values (its own
    # declarations: the dataset may have declared more since).
    covariates = list(parse_covariates(getattr(getattr(model, "config", None), "covariates", ())))
    stored = None
    if covariates and panel is not None and not panel.empty:
        stored = StoredCovariates.read(session, panel, covariates, plan, model.config.freq)
        panel = stored.history
    session.commit()  # end the read transaction before the (long) predict
    timings["read_history_s"] = time.perf_counter() - started
    if not names or panel is None or panel.empty:
        return ShardOutcome(len(names), 0, dict.fromkeys(names, "no observations"), timings)
    without = sorted(set(names) - set(panel["unique_id"].unique()))
    usable, skipped = _forecastable(model, panel)
    skipped |= dict.fromkeys(without, "no observations")
    del panel
    future = None
    if stored is not None:
        usable, lacking = stored.without_gaps(usable, covariates, model.config.freq, plan.horizon)
        skipped |= lacking
        future, stored = stored.future, None
    if usable.empty:
        return ShardOutcome(len(names), 0, skipped, timings)

    started = time.perf_counter()
    # Validated once without a copy (the frame read is let go right after, and nothing changes
    # either in place): the history is held once.
    history = model.validate_history(usable, copy=False)
    del usable
    cutoffs = history.groupby("unique_id", sort=False)["ds"].max()
    predicted = (
        model.predict_validated(plan.horizon, history, plan.levels)
        if future is None
        else model.predict_validated(plan.horizon, history, plan.levels, future=future)
    )
    timings["predict_s"] = time.perf_counter() - started
    del history  # not needed past here

    started = time.perf_counter()
    points = batch_forecast_points(predicted, plan.levels)
    rows = (
        NewForecast(
            series_id=names[name],
            request_id=request_id,
            model_name=model_name,
            model_version=model_version,
            horizon=plan.horizon,
            levels=plan.levels,
            points=series_points,
            kind="batch",
            data_cutoff=cutoffs[name].to_pydatetime(),
        )
        for name, series_points in points.items()
    )
    written = save_forecasts_bulk(session, rows, batch_size=plan.write_batch)
    session.commit()
    timings["store_s"] = time.perf_counter() - started
    return ShardOutcome(len(names), written, skipped, timings)


def make_batch_forecasts(shards: int) -> dg.AssetsDefinition:
    """The `batch_forecasts` asset over every dataset x `shards` static series shards."""

    @dg.asset(
        group_name="forecasting",
        partitions_def=batch_partitions(shards),
        # Each shard forecasts with its own dataset's roll-out.
        ins={
            "model_deployment": dg.AssetIn(
                partition_mapping=dg.MultiToSingleDimensionPartitionMapping(
                    partition_dimension_name=DATASET_DIMENSION
                )
            )
        },
        description="A forecast of every series of one dataset's shard by the dataset's model "
        "just rolled out, at the dataset's horizon and interval levels, stored in the "
        "operational DB in bulk (COPY on PostgreSQL) with the model version and each series' "
        "data cut-off.",
    )
    def batch_forecasts(
        context: dg.AssetExecutionContext,
        model_deployment: Rollout,
        database: OperationalDatabase,
        mlflow_tracking: MLflowTracking,
        batch_policy: BatchForecastPolicy,
        scratch: StepScratch,
    ) -> dg.MaterializeResult:
        dataset, shard, count = dataset_and_shard(context.partition_key)
        with database.session() as session:
            plan = ShardPlan.for_dataset(session, dataset, batch_policy)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        model_name = mlflow_tracking.dataset_model_name(dataset)
        model_dir = mlflow_tracking.model_version_dir(
            model_deployment.model_version, scratch.path, dataset
        )
        model, _ = load_model_dir(model_dir)
        timings["load_model_s"] = time.perf_counter() - started

        with database.session() as session:
            outcome = forecast_shard(
                session,
                model,
                shard=shard,
                shards=count,
                plan=plan,
                model_name=model_name,
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
                "dataset": dataset,
                "shard": f"{shard} of {count}",
                "model_version": model_deployment.model_version,
                "series": names,
                "forecasts": written,
                "points": written * plan.horizon,
                "skipped": len(skipped),
                "skipped_series": dg.MetadataValue.json(dict(list(skipped.items())[:100])),
                **{name: round(value, 3) for name, value in timings.items()},
            }
        )

    return batch_forecasts
