"""When the model is retrained: weekly, and when ingestion brings enough new data."""

import dagster as dg

from core import job_names
from core.db.repositories.datasets import dataset_config, find_dataset
from core.retrain_rule import retrain_decision
from core.run_tags import DATASET_TAG
from orchestration.datasets import runs_per_dataset
from orchestration.resources import OperationalDatabase

__all__ = ["new_data_sensor", "retrain_job", "retrain_schedule"]

retrain_job = dg.define_asset_job(
    job_names.RETRAIN,
    selection=dg.AssetSelection.groups("training", "registry", "serving"),
    description="Train, backtest, register (and promote if better), package and roll out.",
)


@dg.schedule(
    job=retrain_job,
    cron_schedule="0 3 * * 1",
    name="retrain_weekly",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Weekly retraining of every dataset, Mondays 03:00 (switch on in the UI).",
)
def retrain_schedule(context: dg.ScheduleEvaluationContext):
    yield from runs_per_dataset(context.instance, context.scheduled_execution_time.isoformat())


@dg.asset_sensor(
    asset_key=dg.AssetKey("observations"),
    job=retrain_job,
    name="retrain_on_new_data",
    # Off by default like the degraded-accuracy sensor of the monitoring domain.
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Retrains a dataset when one ingestion of it adds more than its "
    "`retrain_new_data_share` of new rows.",
)
def new_data_sensor(
    context: dg.SensorEvaluationContext,
    asset_event: dg.EventLogEntry,
    database: OperationalDatabase,
):
    run = context.instance.get_run_by_id(asset_event.run_id)
    if run is not None and run.job_name != job_names.INGESTION:
        return dg.SkipReason(f"run {asset_event.run_id} trained in the same run already")
    dataset = asset_event.dagster_event.partition if asset_event.dagster_event else None
    if dataset is None:
        return dg.SkipReason(f"run {asset_event.run_id} names no dataset partition")
    with database.session() as session:
        min_new_share = dataset_config(find_dataset(session, dataset)).retrain_new_data_share
    materialization = asset_event.asset_materialization
    share_value = materialization.metadata.get("new_row_share") if materialization else None
    share = float(share_value.value) if share_value is not None else 0.0
    decision = retrain_decision(new_row_share=share, min_new_share=min_new_share)
    if not decision.retrain:
        return dg.SkipReason(f"{dataset}: {decision.reason}")
    return dg.RunRequest(
        run_key=asset_event.run_id,
        partition_key=dataset,
        tags={"quantis/new_share": f"{share:.4f}", DATASET_TAG: dataset},
    )
