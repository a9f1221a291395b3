"""The monitoring domain's definitions: daily accuracy and drift, and the retrain they ask for."""

import dagster as dg

from core.settings import Settings
from orchestration.defs.monitoring.assets import make_monitoring_assets, monitoring_partitions
from orchestration.defs.monitoring.automation import (
    degraded_accuracy_sensor,
    make_monitoring_schedule,
    monitoring_job_for,
)
from orchestration.defs.monitoring.policy import MonitoringPolicy

__all__ = ["build"]


def build(settings: Settings) -> dg.Definitions:
    """Monitoring's assets and job over every dataset x the days from `monitoring_start_date`,
    the daily schedule over `monitoring_lookback_days`, the degraded-accuracy sensor, and its
    policy."""
    days = monitoring_partitions(settings.monitoring_start_date)
    job = monitoring_job_for(days)
    return dg.Definitions(
        assets=make_monitoring_assets(days),
        jobs=[job],
        schedules=[make_monitoring_schedule(job, settings.monitoring_lookback_days)],
        sensors=[degraded_accuracy_sensor],
        resources={"monitoring_policy": MonitoringPolicy.from_settings(settings)},
    )
