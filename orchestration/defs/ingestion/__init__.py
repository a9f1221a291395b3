"""Ingestion: landing files -> validated batch -> operational DB and panel snapshot."""

import dagster as dg

from orchestration.defs.ingestion.assets import observations, staged_observations
from orchestration.defs.ingestion.automation import (
    ingestion_job,
    ingestion_schedule,
    landing_file_sensor,
)

defs = dg.Definitions(
    assets=[staged_observations, observations],
    jobs=[ingestion_job],
    schedules=[ingestion_schedule],
    sensors=[landing_file_sensor],
)
