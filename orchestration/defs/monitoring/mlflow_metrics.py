"""Live figures as MLflow metrics on each model version's training run."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from core.mlflow_names import METRIC_BACKTEST_MASE, METRIC_LIVE_PREFIX
from core.registry import ModelRegistry, RegistryError

__all__ = ["backtest_mases", "live_metric_values", "log_live_metrics"]


def live_metric_values(summary: Mapping[str, Any]) -> dict[str, float]:
    """`live_mase`, `live_smape`, `live_bias`, `live_mae`, `live_points`, `live_coverage_80`..."""
    values = {
        f"{METRIC_LIVE_PREFIX}{name}": float(summary[name])
        for name in ("mase", "smape", "bias", "mae", "points")
        if summary.get(name) is not None
    }
    for level, share in (summary.get("coverage") or {}).items():
        if share is not None:
            values[f"{METRIC_LIVE_PREFIX}coverage_{level}"] = float(share)
    return values


def backtest_mases(registry: ModelRegistry, versions) -> dict[str, dict[str, Any]]:
    """Per version: its training run id and backtest MASE (None for unknown versions)."""
    found = {}
    for version in versions:
        try:
            view = registry.version(version)
        except RegistryError:
            found[version] = {"run_id": None, "backtest_mase": None}
            continue
        found[version] = {
            "run_id": view.run_id,
            "backtest_mase": view.metrics.get(METRIC_BACKTEST_MASE),
        }
    return found


def log_live_metrics(registry: ModelRegistry, run_id: str, day: date, values: dict[str, float]):
    """One step per scored day: step = the day's ordinal, timestamp = its midnight (UTC)."""
    from mlflow.entities import Metric

    stamp = int(datetime.combine(day, time(), tzinfo=UTC).timestamp() * 1000)
    metrics = [Metric(key, value, stamp, day.toordinal()) for key, value in values.items()]
    registry.client.log_batch(run_id, metrics=metrics)
