"""When ingestion runs: on a schedule, and as soon as new files land, one run per dataset.

The landing sensor also keeps the `datasets` partitions equal to the datasets table: a
dataset created (CLI, API, declared file) shows up as a partition at the next tick, without a
code change or redeploy, and a deleted one goes away.
"""

import dagster as dg

from core import job_names
from core.datasets.partitions import DATASET_PARTITIONS, partition_changes
from core.db.repositories.landing_files import is_known_key
from core.run_tags import DATASET_TAG
from orchestration.datasets import dataset_names, runs_per_dataset
from orchestration.defs.ingestion.pickup import keys_by_dataset, new_landing_keys
from orchestration.resources import LandingArea, OperationalDatabase

__all__ = ["ingestion_job", "ingestion_schedule", "landing_file_sensor"]

ingestion_job = dg.define_asset_job(
    job_names.INGESTION,
    selection=dg.AssetSelection.assets("staged_observations", "observations"),
    description="Pick up a dataset's new landing files, validate them and load them into the "
    "database.",
)


@dg.schedule(
    job=ingestion_job,
    cron_schedule="0 * * * *",
    name="ingestion_hourly",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Hourly ingestion of every dataset (switch on in the UI; the landing sensor "
    "covers new files).",
)
def ingestion_schedule(context: dg.ScheduleEvaluationContext):
    yield from runs_per_dataset(context.instance, context.scheduled_execution_time.isoformat())


@dg.sensor(
    job=ingestion_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Keeps one `datasets` partition per dataset, and starts ingestion of each "
    "dataset with files of new names under its landing prefix.",
)
def landing_file_sensor(
    context: dg.SensorEvaluationContext, landing: LandingArea, database: OperationalDatabase
):
    datasets = dataset_names(database)
    changes = partition_changes(
        context.instance.get_dynamic_partitions(DATASET_PARTITIONS), datasets
    )
    requests: list = []
    if changes.add:
        requests.append(dg.AddDynamicPartitionsRequest(DATASET_PARTITIONS, list(changes.add)))
    if changes.delete:
        requests.append(dg.DeleteDynamicPartitionsRequest(DATASET_PARTITIONS, list(changes.delete)))
    with database.session() as session:
        new = [key for key in new_landing_keys(landing.open()) if not is_known_key(session, key)]
    runs = [
        dg.RunRequest(
            run_key=f"landing:{dataset}:{','.join(keys)[:500]}",
            partition_key=dataset,
            tags={"quantis/files": str(len(keys)), DATASET_TAG: dataset},
        )
        for dataset, keys in sorted(keys_by_dataset(new, datasets).items())
    ]
    if not runs and not requests:
        return dg.SkipReason("no new files in the landing area")
    return dg.SensorResult(run_requests=runs, dynamic_partitions_requests=requests)
