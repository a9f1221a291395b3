"""The forecasting domain's definitions: batch forecasts of every series, and when they run."""

import dagster as dg

from core.settings import Settings
from orchestration.defs.forecasting.assets import BatchForecastPolicy, make_batch_forecasts
from orchestration.defs.forecasting.automation import make_batch_automation

__all__ = ["build"]


def build(settings: Settings) -> dg.Definitions:
    """The batch-forecast asset over every dataset x the settings' shard count, its job, the
    after-roll-out sensor and the nightly schedule, and how shards read and write."""
    shards = settings.batch_forecast_shards
    job, sensor, schedule = make_batch_automation(
        shards,
        after_rollout=settings.batch_forecast_after_rollout,
        nightly=settings.batch_forecast_nightly,
        cron=settings.batch_forecast_cron,
    )
    policy = BatchForecastPolicy(write_batch=settings.batch_forecast_write_batch)
    return dg.Definitions(
        assets=[make_batch_forecasts(shards)],
        jobs=[job],
        sensors=[sensor],
        schedules=[schedule],
        resources={"batch_policy": policy},
    )
