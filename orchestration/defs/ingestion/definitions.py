"""The ingestion domain's definitions: landing files into the database, and when."""

import dagster as dg

from core.settings import Settings
from orchestration.defs.ingestion.assets import observations, staged_observations
from orchestration.defs.ingestion.automation import (
    ingestion_job,
    ingestion_schedule,
    landing_file_sensor,
)

__all__ = ["build"]


def build(settings: Settings) -> dg.Definitions:
    """Ingestion's assets, job, hourly schedule and landing sensor (it uses only the shared
    resources: the landing area, the database and the object store)."""
    return dg.Definitions(
        assets=[staged_observations, observations],
        jobs=[ingestion_job],
        schedules=[ingestion_schedule],
        sensors=[landing_file_sensor],
    )
