"""When the model is retrained: weekly, and when ingestion brings enough new data."""

import dagster as dg

from core import job_names
from core.retrain_rule import retrain_decision
from core.run_tags import dataset_tags

__all__ = ["make_new_data_sensor", "retrain_job", "retrain_schedule"]

retrain_job = dg.define_asset_job(
    job_names.RETRAIN,
    tags=dataset_tags(),  # one run per dataset at a time (core.run_tags)
    selection=dg.AssetSelection.groups("training", "registry", "serving"),
    description="Train, backtest, register (and promote if better), package and roll out.",
)

retrain_schedule = dg.ScheduleDefinition(
    name="retrain_weekly",
    job=retrain_job,
    cron_schedule="0 3 * * 1",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Weekly retraining, Mondays 03:00 (switch on in the UI).",
)


def make_new_data_sensor(min_new_share: float) -> dg.SensorDefinition:
    @dg.asset_sensor(
        asset_key=dg.AssetKey("observations"),
        job=retrain_job,
        name="retrain_on_new_data",
        # Off by default like the degraded-accuracy sensor of the monitoring domain.
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=f"Retrains when one ingestion adds more than {min_new_share:.0%} new rows.",
    )
    def new_data_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
        run = context.instance.get_run_by_id(asset_event.run_id)
        if run is not None and run.job_name != job_names.INGESTION:
            return dg.SkipReason(f"run {asset_event.run_id} trained in the same run already")
        materialization = asset_event.asset_materialization
        share_value = materialization.metadata.get("new_row_share") if materialization else None
        share = float(share_value.value) if share_value is not None else 0.0
        decision = retrain_decision(new_row_share=share, min_new_share=min_new_share)
        if not decision.retrain:
            return dg.SkipReason(decision.reason)
        return dg.RunRequest(run_key=asset_event.run_id, tags={"quantis/new_share": f"{share:.4f}"})

    return new_data_sensor
