"""Monitoring assets: live accuracy of the stored forecasts, and drift of the series.

Both are partitioned by dataset x day: partition (A, D) scores the actuals of dataset A's
series timestamped on D (for monthly data only the first of the month has any) against the
forecasts of A's registered model, so a backfill of one dataset over a range is a click in the
UI. A partition's rows are replaced as a whole (another dataset's rows of the day stay), so
re-running one gives one answer.
"""

from collections import defaultdict
from datetime import date

import dagster as dg

from core.db.repositories.datasets import find_dataset
from core.db.repositories.drift import replace_drift_day
from core.db.repositories.live_accuracy import accuracy_rows, replace_day, summarize_rows
from orchestration.datasets import dataset_partitions
from orchestration.defs.monitoring.checks import accuracy_verdicts, coverage_verdicts
from orchestration.defs.monitoring.mlflow_metrics import (
    backtest_mases,
    live_metric_values,
    log_live_metrics,
)
from orchestration.defs.monitoring.policy import MonitoringPolicy
from orchestration.defs.monitoring.scoring import drift_rows, score_day
from orchestration.resources import MLflowTracking, OperationalDatabase, StepScratch

__all__ = [
    "ACCURACY_CHECK",
    "COVERAGE_CHECK",
    "DATASET_DIMENSION",
    "DAY_DIMENSION",
    "make_monitoring_assets",
    "monitoring_days",
    "monitoring_key",
    "monitoring_partitions",
]

ACCURACY_CHECK = "live_mase_within_backtest"
COVERAGE_CHECK = "interval_coverage_near_nominal"
DATASET_DIMENSION = "dataset"
DAY_DIMENSION = "day"


def monitoring_key(dataset: str, day: date | str) -> dg.MultiPartitionKey:
    day = day if isinstance(day, str) else day.isoformat()
    return dg.MultiPartitionKey({DATASET_DIMENSION: dataset, DAY_DIMENSION: day})


def _dataset_and_day(context: dg.AssetExecutionContext) -> tuple[str, date]:
    keys = context.partition_key.keys_by_dimension
    return keys[DATASET_DIMENSION], date.fromisoformat(keys[DAY_DIMENSION])


def _version_table(summaries: dict[str, dict], backtests: dict[str, dict]) -> str:
    lines = ["| version | series | points | live MASE | backtest MASE | sMAPE | bias | coverage |"]
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for version, s in sorted(summaries.items()):
        coverage = ", ".join(f"{k}%: {v:.2f}" for k, v in s["coverage"].items() if v is not None)
        mase = "n/a" if s["mase"] is None else f"{s['mase']:.3f}"
        reference = backtests[version]["backtest_mase"]
        reference = "n/a" if reference is None else f"{reference:.3f}"
        lines.append(
            f"| {version} | {s['series']} | {s['points']} | {mase} | {reference} | "
            f"{s['smape']:.2f} | {s['bias']:.3g} | {coverage} |"
        )
    return "\n".join(lines)


def _check_results(summaries, backtests, policy: MonitoringPolicy) -> list[dg.AssetCheckResult]:
    accuracy = accuracy_verdicts(
        {v: s["mase"] for v, s in summaries.items()},
        {v: b["backtest_mase"] for v, b in backtests.items()},
        policy.degradation_factor,
    )
    coverage = coverage_verdicts(
        {v: s["coverage"] for v, s in summaries.items()}, policy.coverage_tolerance
    )
    degraded = [v.model_version for v in accuracy if v.degraded]
    off = [f"{v.model_version}@{v.level}%" for v in coverage if v.off]
    return [
        dg.AssetCheckResult(
            check_name=ACCURACY_CHECK,
            passed=not degraded,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"live MASE above {policy.degradation_factor}x backtest MASE: "
            f"{', '.join(degraded) or 'none'}",
            metadata={
                "degraded_versions": ", ".join(degraded) or "none",
                "verdicts": dg.MetadataValue.json([v.__dict__ for v in accuracy]),
            },
        ),
        dg.AssetCheckResult(
            check_name=COVERAGE_CHECK,
            passed=not off,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"coverage more than {policy.coverage_tolerance} from nominal: "
            f"{', '.join(off) or 'none'}",
            metadata={
                "off": ", ".join(off) or "none",
                "verdicts": dg.MetadataValue.json([v.__dict__ for v in coverage]),
            },
        ),
    ]


def monitoring_days(start: date) -> dg.DailyPartitionsDefinition:
    """The days monitoring scores, from `start` (the `monitoring_start_date` setting)."""
    return dg.DailyPartitionsDefinition(start_date=start.isoformat())


def monitoring_partitions(start: date) -> dg.MultiPartitionsDefinition:
    """Every dataset x the days from `start`: a new dataset is monitored without a code change."""
    return dg.MultiPartitionsDefinition(
        {DATASET_DIMENSION: dataset_partitions, DAY_DIMENSION: monitoring_days(start)}
    )


def make_monitoring_assets(days: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """`live_accuracy` (with its two checks) and `series_drift`, partitioned by `days` (the
    `monitoring_partitions`)."""
    live_accuracy = dg.asset(
        name="live_accuracy",
        group_name="monitoring",
        partitions_def=days,
        description="A dataset's stored forecasts against the actuals timestamped on the "
        "partition's day, per model version and series: MASE (scaled as in the backtest), sMAPE, bias, coverage "
        "per level. Stored in the operational DB and logged to each version's MLflow run.",
        check_specs=[
            dg.AssetCheckSpec(
                ACCURACY_CHECK,
                asset="live_accuracy",
                description="Live MASE is at most the degradation factor times the "
                "version's backtest MASE.",
            ),
            dg.AssetCheckSpec(
                COVERAGE_CHECK,
                asset="live_accuracy",
                description="Live interval coverage is within the tolerance of its nominal level.",
            ),
        ],
    )(_score_live_accuracy)
    series_drift = dg.asset(
        name="series_drift",
        group_name="monitoring",
        partitions_def=days,
        description="Per series of the dataset, as of the partition's day: level shift and spread ratio of the "
        "recent window against the history before it (models.drift), and staleness.",
    )(_measure_drift)
    return [live_accuracy, series_drift]


def _score_live_accuracy(
    context: dg.AssetExecutionContext,
    database: OperationalDatabase,
    mlflow_tracking: MLflowTracking,
    monitoring_policy: MonitoringPolicy,
    scratch: StepScratch,
) -> dg.MaterializeResult:
    dataset, day = _dataset_and_day(context)
    model_name = mlflow_tracking.dataset_model_name(dataset)
    with database.session() as session:
        dataset_id = find_dataset(session, dataset).id
        score = score_day(session, day, model_name, dataset_id)
        replace_day(session, day, model_name, score.rows)
        by_version = defaultdict(list)
        for row, name in accuracy_rows(session, model_name=model_name, since=day):
            if row.partition_day == day:
                by_version[row.model_version].append((row, name))
        summaries = {version: summarize_rows(rows) for version, rows in by_version.items()}
    registry = mlflow_tracking.registry(dataset)
    backtests = backtest_mases(registry, summaries)
    for version, summary in summaries.items():
        run_id = backtests[version]["run_id"]
        if run_id:
            log_live_metrics(registry, run_id, day, live_metric_values(summary))
        else:
            context.log.warning("version %s is not in the registry; no MLflow metrics", version)
    context.log.info(
        "%s %s: %d points scored, %d pending, %d version(s)",
        dataset, day, score.scored_points, score.pending_points, len(summaries),
    )  # fmt: skip
    metadata = {
        "dataset": dataset,
        "scored_points": score.scored_points,
        "pending_points": score.pending_points,
        "series": len({row.series_id for row in score.rows}),
        "versions": ", ".join(sorted(summaries)) or "none",
        "by_version": dg.MetadataValue.md(_version_table(summaries, backtests)),
    }
    return dg.MaterializeResult(
        metadata=metadata, check_results=_check_results(summaries, backtests, monitoring_policy)
    )


def _measure_drift(
    context: dg.AssetExecutionContext,
    database: OperationalDatabase,
    monitoring_policy: MonitoringPolicy,
    scratch: StepScratch,
) -> dg.MaterializeResult:
    (dataset, day), policy = _dataset_and_day(context), monitoring_policy
    with database.session() as session:
        dataset_id = find_dataset(session, dataset).id
        rows = drift_rows(
            session,
            day,
            dataset_id=dataset_id,
            window=policy.drift_window,
            reference_windows=policy.drift_reference_windows,
            level_threshold=policy.drift_level_threshold,
            spread_threshold=policy.drift_spread_threshold,
            stale_periods=policy.stale_periods,
        )
        replace_drift_day(session, day, rows, dataset_id)
    drifted = sorted(r.series_id for r in rows if r.drifted)
    stale = sorted(r.series_id for r in rows if r.stale)
    return dg.MaterializeResult(
        metadata={
            "dataset": dataset,
            "series": len(rows),
            "drifted": len(drifted),
            "stale": len(stale),
            "drifted_series_ids": dg.MetadataValue.json(drifted[:50]),
            "stale_series_ids": dg.MetadataValue.json(stale[:50]),
        }
    )
