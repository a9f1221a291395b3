"""When batch forecasts run: after each dataset's roll-out (on by default; a dataset can turn
it off with its `batch_forecasts_after_rollout`), and nightly for every dataset (off by
default)."""

from __future__ import annotations

import dagster as dg

from core import job_names
from core.datasets.partitions import DATASET_PARTITIONS
from core.db.errors import RecordNotFoundError
from core.db.repositories.datasets import dataset_config, find_dataset
from core.run_tags import dataset_tags
from orchestration.defs.forecasting.sharding import batch_keys
from orchestration.resources import OperationalDatabase

__all__ = ["BATCH_JOB", "make_batch_automation", "rollouts_after"]

BATCH_JOB = job_names.BATCH_FORECASTS
ROLLOUT_ASSET = dg.AssetKey("model_deployment")
_ROLLOUTS_PER_TICK = 100


def _dataset_shards(dataset: str, shards: int, occasion: str) -> list[dg.RunRequest]:
    """A run per shard of `dataset`; the run key (occasion, dataset and shard) keeps a tick
    from asking twice."""
    return [
        dg.RunRequest(run_key=f"{occasion}:{key}", partition_key=key, tags=dataset_tags(dataset))
        for key in batch_keys(dataset, shards)
    ]


FROM_START = "from-start"  # the sensor's cursor before any roll-out was stored


def rollouts_after(
    instance: dg.DagsterInstance, cursor: str | None
) -> tuple[list[tuple[str, str]], str]:
    """(dataset, run id) of each roll-out stored after `cursor`, oldest first, and the cursor
    past them: every dataset's roll-out is seen, however many happen between two ticks.

    The first tick (`cursor` None) starts after the newest roll-out stored and asks for
    nothing: what was rolled out before the sensor ran (`quantis up`'s own run forecasts its
    datasets itself) is not forecast again."""
    records = dg.AssetRecordsFilter(asset_key=ROLLOUT_ASSET)
    if cursor is None:
        newest = instance.fetch_materializations(records, limit=1)
        return [], newest.cursor if newest.records else FROM_START
    result = instance.fetch_materializations(
        records,
        limit=_ROLLOUTS_PER_TICK,
        cursor=None if cursor == FROM_START else cursor,
        ascending=True,
    )
    found = [
        (record.partition_key, record.run_id)
        for record in result.records
        if record.partition_key is not None
    ]
    return found, result.cursor if result.records else cursor


def make_batch_automation(shards: int, *, after_rollout: bool, nightly: bool, cron: str):
    """The job over every dataset x shard, the after-roll-out sensor and the nightly schedule."""
    job = dg.define_asset_job(
        BATCH_JOB,
        selection=dg.AssetSelection.assets("batch_forecasts"),
        description="A forecast for every series of a dataset, one run per series shard.",
    )

    @dg.sensor(
        job=job,
        name="batch_forecasts_after_rollout",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING
        if after_rollout
        else dg.DefaultSensorStatus.STOPPED,
        description="After each roll-out of a dataset's champion, a batch-forecast run for "
        "every shard of that dataset (unless the dataset turned batch forecasts after "
        "roll-out off).",
    )
    def after_rollout_sensor(context: dg.SensorEvaluationContext, database: OperationalDatabase):
        rollouts, cursor = rollouts_after(context.instance, context.cursor)
        requests, skipped = [], []
        with database.session() as session:
            for dataset, run_id in rollouts:
                try:
                    config = dataset_config(find_dataset(session, dataset))
                except RecordNotFoundError:
                    skipped.append(f"{dataset} (deleted)")
                    continue
                if not config.batch_forecasts_after_rollout:
                    skipped.append(f"{dataset} (batch_forecasts_after_rollout is off)")
                    continue
                requests += _dataset_shards(dataset, shards, run_id)
        context.update_cursor(cursor)
        if requests:
            return requests
        reason = f"no batch forecasts for {', '.join(skipped)}" if skipped else "no new roll-out"
        return dg.SkipReason(reason)

    @dg.schedule(
        cron_schedule=cron,
        job=job,
        name="batch_forecasts_nightly",
        default_status=dg.DefaultScheduleStatus.RUNNING
        if nightly
        else dg.DefaultScheduleStatus.STOPPED,
        description="Nightly batch forecasts of every dataset's series shards.",
    )
    def nightly_schedule(context: dg.ScheduleEvaluationContext):
        occasion = context.scheduled_execution_time.isoformat()
        datasets = sorted(context.instance.get_dynamic_partitions(DATASET_PARTITIONS))
        return [
            request
            for dataset in datasets
            for request in _dataset_shards(dataset, shards, occasion)
        ]

    return job, after_rollout_sensor, nightly_schedule
