"""When monitoring runs, and the retrain it may ask for.

The daily schedule re-scores the last `monitoring_lookback_days` days (actuals can arrive
late); the sensor asks the training domain's `retrain` job (by its name in `core.job_names`:
domains do not import each other) for a run when the champion's live accuracy stayed degraded. Both start off;
switch them on in the Dagster UI.
"""

from datetime import timedelta

import dagster as dg

from core import job_names
from core.datasets import DEFAULT_DATASET
from core.db.repositories.live_accuracy import daily_summaries
from core.mlflow_names import METRIC_BACKTEST_MASE
from core.run_tags import DATASET_TAG
from orchestration.defs.monitoring.checks import degraded_streak
from orchestration.defs.monitoring.policy import MonitoringPolicy
from orchestration.resources import MLflowTracking, OperationalDatabase

__all__ = ["degraded_accuracy_sensor", "make_monitoring_schedule", "monitoring_job_for"]


def monitoring_job_for(days: dg.PartitionsDefinition):
    """The job that scores one day (a partition of `days`)."""
    return dg.define_asset_job(
        job_names.MONITORING,
        selection=dg.AssetSelection.groups("monitoring"),
        partitions_def=days,
        description="Score one day's actuals against the stored forecasts, and the series' drift.",
    )


def make_monitoring_schedule(job, lookback_days: int) -> dg.ScheduleDefinition:
    """Daily at 04:00, a run of `job` for each of the last `lookback_days` days."""

    @dg.schedule(
        job=job,
        cron_schedule="0 4 * * *",
        name="monitoring_daily",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"Daily at 04:00: re-score the last {lookback_days} days "
        "(switch on in the UI).",
    )
    def monitoring_schedule(context: dg.ScheduleEvaluationContext):
        today = context.scheduled_execution_time.date()
        for back in range(lookback_days, 0, -1):
            key = (today - timedelta(days=back)).isoformat()
            yield dg.RunRequest(run_key=f"{key}@{today.isoformat()}", partition_key=key)

    return monitoring_schedule


@dg.sensor(
    job_name=job_names.RETRAIN,
    name="retrain_on_degraded_accuracy",
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Requests a retrain when the champion's live MASE stayed above the degradation "
    "factor times its backtest MASE on the last N scored days (switch on in the UI).",
)
def degraded_accuracy_sensor(
    context: dg.SensorEvaluationContext,
    database: OperationalDatabase,
    mlflow_tracking: MLflowTracking,
    monitoring_policy: MonitoringPolicy,
):
    champion = mlflow_tracking.registry().champion()
    if champion is None:
        return dg.SkipReason("no champion to watch")
    with database.session() as session:
        daily = daily_summaries(session, champion.version, model_name=mlflow_tracking.model_name)
    backtest = champion.metrics.get(METRIC_BACKTEST_MASE)
    days, factor = monitoring_policy.retrain_degraded_days, monitoring_policy.degradation_factor
    if not degraded_streak([d["mase"] for d in daily], backtest, factor, days):
        return dg.SkipReason(
            f"champion {champion.version}: not {days} degraded day(s) in a row "
            f"({len(daily)} scored, backtest MASE {backtest})"
        )
    last_day = daily[-1]["day"].isoformat()
    # Monitoring watches the served champion: the `default` dataset's (docs/datasets.md).
    return dg.RunRequest(
        run_key=f"degraded:{champion.version}:{last_day}",
        partition_key=DEFAULT_DATASET,
        tags={
            DATASET_TAG: DEFAULT_DATASET,
            "quantis/trigger": "degraded_accuracy",
            "quantis/champion": champion.version,
            "quantis/live_mase": f"{daily[-1]['mase']:.4f}",
        },
    )
