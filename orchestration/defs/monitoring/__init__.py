"""Monitoring: live accuracy of the stored forecasts, drift, checks, and a retrain sensor."""

import dagster as dg

from orchestration.defs.monitoring.assets import live_accuracy, series_drift
from orchestration.defs.monitoring.automation import (
    degraded_accuracy_sensor,
    monitoring_job,
    monitoring_schedule,
)
from orchestration.defs.monitoring.policy import resources_for

__all__ = ["defs", "resources_for"]

defs = dg.Definitions(
    assets=[live_accuracy, series_drift],
    jobs=[monitoring_job],
    schedules=[monitoring_schedule],
    sensors=[degraded_accuracy_sensor],
)
