"""When batch forecasts run: after each new roll-out, and nightly (both off by default)."""

import dagster as dg

from core import job_names
from orchestration.defs.forecasting.sharding import shard_keys

__all__ = ["BATCH_JOB", "make_batch_automation"]

BATCH_JOB = job_names.BATCH_FORECASTS


def _every_shard(shards: int, occasion: str) -> list[dg.RunRequest]:
    """A run per shard; the run key (occasion and shard) keeps a tick from asking twice."""
    return [
        dg.RunRequest(run_key=f"{occasion}:{key}", partition_key=key) for key in shard_keys(shards)
    ]


def make_batch_automation(shards: int, *, after_rollout: bool, nightly: bool, cron: str):
    """The job over every shard, the after-roll-out sensor and the nightly schedule."""
    job = dg.define_asset_job(
        BATCH_JOB,
        selection=dg.AssetSelection.assets("batch_forecasts"),
        description="A forecast for every series, one run per series shard.",
    )

    @dg.asset_sensor(
        asset_key=dg.AssetKey("model_deployment"),
        job=job,
        name="batch_forecasts_after_rollout",
        default_status=dg.DefaultSensorStatus.RUNNING
        if after_rollout
        else dg.DefaultSensorStatus.STOPPED,
        description="After each roll-out, a batch-forecast run for every series shard.",
    )
    def after_rollout_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
        return _every_shard(shards, asset_event.run_id)

    @dg.schedule(
        cron_schedule=cron,
        job=job,
        name="batch_forecasts_nightly",
        default_status=dg.DefaultScheduleStatus.RUNNING
        if nightly
        else dg.DefaultScheduleStatus.STOPPED,
        description="Nightly batch forecasts of every series shard.",
    )
    def nightly_schedule(context: dg.ScheduleEvaluationContext):
        return _every_shard(shards, context.scheduled_execution_time.isoformat())

    return job, after_rollout_sensor, nightly_schedule
