"""When ingestion runs: on a schedule, and as soon as new files land."""

import dagster as dg

from core import job_names
from core.db.repositories.landing_files import is_known_key
from core.run_tags import dataset_tags
from orchestration.defs.ingestion.pickup import new_landing_keys
from orchestration.resources import LandingArea, OperationalDatabase

__all__ = ["ingestion_job", "ingestion_schedule", "landing_file_sensor"]

ingestion_job = dg.define_asset_job(
    job_names.INGESTION,
    tags=dataset_tags(),  # one run per dataset at a time (core.run_tags)
    selection=dg.AssetSelection.assets("staged_observations", "observations"),
    description="Pick up new landing files, validate them and load them into the database.",
)

ingestion_schedule = dg.ScheduleDefinition(
    name="ingestion_hourly",
    job=ingestion_job,
    cron_schedule="0 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Hourly ingestion (switch on in the UI; the landing sensor covers new files).",
)


@dg.sensor(
    job=ingestion_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts ingestion when files with new names appear in the landing area.",
)
def landing_file_sensor(
    context: dg.SensorEvaluationContext, landing: LandingArea, database: OperationalDatabase
):
    with database.session() as session:
        new = [key for key in new_landing_keys(landing.open()) if not is_known_key(session, key)]
    if not new:
        return dg.SkipReason("no new files in the landing area")
    return dg.RunRequest(
        run_key=f"landing:{','.join(new)[:500]}", tags={"quantis/files": str(len(new))}
    )
