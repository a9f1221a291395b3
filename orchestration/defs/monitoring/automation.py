"""When monitoring runs, and the retrain it may ask for.

The daily schedule re-scores the last `monitoring_lookback_days` days of every dataset
(actuals can arrive late); the sensor asks the training domain's `retrain` job (by its name in
`core.job_names`: domains do not import each other) for a run of each dataset whose champion's
live accuracy stayed degraded: a degraded dataset retrains alone. Both start off; switch them
on in the Dagster UI.
"""

from datetime import timedelta

import dagster as dg

from core import job_names
from core.datasets.partitions import DATASET_PARTITIONS
from core.db.repositories.live_accuracy import daily_summaries
from core.mlflow_names import METRIC_BACKTEST_MASE
from core.run_tags import DATASET_TAG
from orchestration.defs.monitoring.assets import monitoring_key
from orchestration.defs.monitoring.checks import degraded_streak
from orchestration.defs.monitoring.policy import MonitoringPolicy
from orchestration.resources import MLflowTracking, OperationalDatabase

__all__ = ["degraded_accuracy_sensor", "make_monitoring_schedule", "monitoring_job_for"]


def monitoring_job_for(days: dg.PartitionsDefinition):
    """The job that scores one dataset's day (a partition of `days`)."""
    return dg.define_asset_job(
        job_names.MONITORING,
        selection=dg.AssetSelection.groups("monitoring"),
        partitions_def=days,
        description="Score one dataset's day of actuals against its stored forecasts, and its "
        "series' drift.",
    )


def make_monitoring_schedule(job, lookback_days: int) -> dg.ScheduleDefinition:
    """Daily at 04:00, a run of `job` for each dataset x each of the last `lookback_days`
    days."""

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
        for dataset in sorted(context.instance.get_dynamic_partitions(DATASET_PARTITIONS)):
            for back in range(lookback_days, 0, -1):
                key = monitoring_key(dataset, today - timedelta(days=back))
                yield dg.RunRequest(
                    run_key=f"{key}@{today.isoformat()}",
                    partition_key=key,
                    tags={DATASET_TAG: dataset},
                )

    return monitoring_schedule


@dg.sensor(
    job_name=job_names.RETRAIN,
    name="retrain_on_degraded_accuracy",
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Requests a retrain of each dataset whose champion's live MASE stayed above "
    "the degradation factor times its backtest MASE on the last N scored days (switch on in "
    "the UI).",
)
def degraded_accuracy_sensor(
    context: dg.SensorEvaluationContext,
    database: OperationalDatabase,
    mlflow_tracking: MLflowTracking,
    monitoring_policy: MonitoringPolicy,
):
    requests, skipped = [], []
    for dataset in sorted(context.instance.get_dynamic_partitions(DATASET_PARTITIONS)):
        verdict = _degraded_retrain(dataset, database, mlflow_tracking, monitoring_policy)
        if isinstance(verdict, dg.RunRequest):
            requests.append(verdict)
        else:
            skipped.append(verdict)
    return requests or dg.SkipReason("; ".join(skipped) or "no dataset")


def _degraded_retrain(
    dataset: str,
    database: OperationalDatabase,
    mlflow_tracking: MLflowTracking,
    monitoring_policy: MonitoringPolicy,
) -> dg.RunRequest | str:
    """A retrain request for `dataset` when its champion stayed degraded, else why not."""
    champion = mlflow_tracking.registry(dataset).champion()
    if champion is None:
        return f"{dataset}: no champion to watch"
    model_name = mlflow_tracking.dataset_model_name(dataset)
    with database.session() as session:
        daily = daily_summaries(session, champion.version, model_name=model_name)
    backtest = champion.metrics.get(METRIC_BACKTEST_MASE)
    days, factor = monitoring_policy.retrain_degraded_days, monitoring_policy.degradation_factor
    if not degraded_streak([d["mase"] for d in daily], backtest, factor, days):
        return (
            f"{dataset}: champion {champion.version}: not {days} degraded day(s) in a row "
            f"({len(daily)} scored, backtest MASE {backtest})"
        )
    last_day = daily[-1]["day"].isoformat()
    return dg.RunRequest(
        run_key=f"degraded:{dataset}:{champion.version}:{last_day}",
        partition_key=dataset,
        tags={
            DATASET_TAG: dataset,
            "quantis/trigger": "degraded_accuracy",
            "quantis/champion": champion.version,
            "quantis/live_mase": f"{daily[-1]['mase']:.4f}",
        },
    )
