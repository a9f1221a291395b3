"""Forecasting: a forecast for every series after a roll-out or nightly (batch_forecasts)."""

from __future__ import annotations

from typing import Any

import dagster as dg

from core.settings import Settings
from orchestration.defs.forecasting.assets import BatchForecastPolicy, make_batch_forecasts
from orchestration.defs.forecasting.automation import make_batch_automation

BATCH_ASSET = "batch_forecasts"


def defs_for(settings: Settings) -> dg.Definitions:
    """The batch-forecast asset, job, sensor and schedule for the settings' shard count."""
    shards = settings.batch_forecast_shards
    job, sensor, schedule = make_batch_automation(
        shards,
        after_rollout=settings.batch_forecast_after_rollout,
        nightly=settings.batch_forecast_nightly,
        cron=settings.batch_forecast_cron,
    )
    return dg.Definitions(
        assets=[make_batch_forecasts(shards)], jobs=[job], sensors=[sensor], schedules=[schedule]
    )


def resources_for(settings: Settings) -> dict[str, Any]:
    return {
        "batch_policy": BatchForecastPolicy(
            horizon=settings.forecast_default_horizon,
            write_batch=settings.batch_forecast_write_batch,
        )
    }
