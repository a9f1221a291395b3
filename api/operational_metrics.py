"""Operational gauges on `/metrics`: what the alerts of `deploy/monitoring/` watch.

Read at scrape time from the operational database (data freshness, backups, drills, live
accuracy), the MLflow registry (which version is champion, its backtest MASE) and Dagster
(the latest runs). What belongs to one dataset (freshness, the champion and its accuracy, the
runs tagged with a dataset) carries a `dataset` label, one sample per dataset; what is the
platform's (backups, drills, the sources, the degradation factor) carries none. The registry and Dagster answers are cached for `cache_s`, so a scrape
every 15 s costs them one call a minute; a source that cannot be read leaves its gauges out
and sets `quantis_metrics_source_up{source=...}` to 0, never fails the scrape.

The registry is read in a background thread, started with the app (`warm_up`) and again when
its answer is older than `cache_s`; a scrape never waits for it. Each read lists the datasets of
the database, then reads each one's registered model. Its first read imports MLflow,
about 7 s here: a scrape made before that read ends has no registry gauges and no
`quantis_metrics_source_up{source="registry"}` sample (neither up nor down yet), rather than
coming close to Prometheus' scrape timeout.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from core.db.repositories.backups import BACKUP_KIND, DRILL_KIND, latest_backup, list_backups
from core.db.repositories.datasets import list_datasets
from core.db.repositories.live_accuracy import recent_summary
from core.db.tables import BackupRecord, Dataset, Observation, Series
from core.db.types import as_utc, utc_now
from core.mlflow_names import METRIC_BACKTEST_MASE, registered_model_name
from core.run_tags import DATASET_TAG

__all__ = ["DATASET_GAUGES", "OPERATIONAL_METRICS", "PENDING", "OperationalCollector"]

logger = logging.getLogger(__name__)

# Name -> help; the tests check that the rules and dashboards use only exported names.
OPERATIONAL_METRICS = {
    "quantis_metrics_source_up": "1 when the source (database, registry, dagster) was read.",
    "quantis_data_freshness_seconds": "Seconds since an observation of the dataset last arrived.",
    "quantis_data_newest_observation_timestamp_seconds": "Timestamp of the dataset's newest "
    "observation.",
    "quantis_backup_age_seconds": "Seconds since the last successful backup finished "
    "(+Inf when there is none).",
    "quantis_backup_last_success_timestamp_seconds": "When the last successful backup finished.",
    "quantis_backup_drill_last_success": "1 when the latest DR drill passed, 0 when it failed.",
    "quantis_backup_drill_last_timestamp_seconds": "When the latest DR drill finished.",
    # `job_name`, not `job`: Prometheus keeps `job` for the scrape job. `dataset` is the run's
    # dataset tag (empty, so absent, for the platform's jobs such as backups).
    "quantis_pipeline_last_success_timestamp_seconds": "End of the newest successful run, by "
    "Dagster job and dataset.",
    "quantis_pipeline_last_run_failed": "1 when the newest finished run of the Dagster job on "
    "the dataset failed.",
    "quantis_champion_live_mase": "Live MASE of the dataset's champion over its recent scored "
    "days.",
    "quantis_champion_backtest_mase": "Backtest MASE of the dataset's champion.",
    "quantis_champion_live_coverage_ratio": "Live interval coverage of the dataset's champion, "
    "by level.",
    "quantis_accuracy_degradation_factor": "Live / backtest MASE above which accuracy is "
    "degraded (setting accuracy_degradation_factor).",
}
# The gauges labelled with `dataset` (the tests check that alerts and dashboards keep it).
DATASET_GAUGES = frozenset(
    {
        "quantis_data_freshness_seconds",
        "quantis_data_newest_observation_timestamp_seconds",
        "quantis_pipeline_last_success_timestamp_seconds",
        "quantis_pipeline_last_run_failed",
        "quantis_champion_live_mase",
        "quantis_champion_backtest_mase",
        "quantis_champion_live_coverage_ratio",
    }
)
_FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def _gauge(name: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, OPERATIONAL_METRICS[name], labels=labels)


class _Cached:
    """One value recomputed at most every `ttl_s`; a failed read is retried next time."""

    def __init__(self, read: Callable[[], Any], ttl_s: float) -> None:
        self._read, self._ttl_s = read, ttl_s
        self._value: Any = None
        self._at = -math.inf
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if time.monotonic() - self._at >= self._ttl_s:
                self._value = self._read()
                self._at = time.monotonic()
            return self._value


# What a source read in the background holds before its first read has ended.
PENDING = object()


class _ReadInBackground:
    """One value read in a thread of its own, again once it is older than `ttl_s`; `get()`
    never waits: it returns the last value read (`PENDING` before the first read ends), or
    raises the error of the last read when that failed (and a new read is started)."""

    def __init__(self, read: Callable[[], Any], ttl_s: float, name: str) -> None:
        self._read, self._ttl_s, self._name = read, ttl_s, name
        self._value: Any = PENDING
        self._error: Exception | None = None
        self._at = -math.inf
        self._reading: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> threading.Thread | None:
        """Start a read unless one is running or the value is fresh; the running read."""
        with self._lock:
            fresh = self._error is None and time.monotonic() - self._at < self._ttl_s
            if self._reading is None and not fresh:
                self._reading = threading.Thread(target=self._refresh, name=self._name, daemon=True)
                self._reading.start()
            return self._reading

    def _refresh(self) -> None:
        try:
            value, error = self._read(), None
        except Exception as failure:  # reported by the next `get`
            value, error = None, failure
        with self._lock:
            if error is None:
                self._value, self._at = value, time.monotonic()
            self._error, self._reading = error, None

    def settle(self, timeout_s: float) -> None:
        """Wait (at most `timeout_s`) for a read in flight to end."""
        with self._lock:
            reading = self._reading
        if reading is not None:
            reading.join(timeout_s)

    def get(self) -> Any:
        self.start()
        with self._lock:
            if self._error is not None:
                raise self._error
            return self._value


class OperationalCollector(Collector):
    def __init__(self, state, cache_s: float = 60.0) -> None:
        self._state = state
        self._champion = _ReadInBackground(self._read_champion, cache_s, "metrics-registry")
        self._runs = _Cached(self._read_runs, cache_s)

    def warm_up(self) -> threading.Thread | None:
        """Start reading the registry now (the app's start-up), not at the first scrape."""
        return self._champion.start()

    def settle(self, timeout_s: float) -> None:
        """Wait (at most `timeout_s`) for a background registry read in flight to end."""
        self._champion.settle(timeout_s)

    # -- sources ---------------------------------------------------------------------------
    def _read_champion(self) -> dict[str, tuple[str, float | None]]:
        """Dataset -> (champion version, its backtest MASE), for each dataset of the database
        whose registered model has a champion."""
        with self._state.sessions() as session:
            datasets = [dataset.name for dataset in list_datasets(session)]
        champions = {}
        for dataset in datasets:
            champion = self._state.registry(dataset).champion()
            if champion is not None:
                backtest = champion.metrics.get(METRIC_BACKTEST_MASE)
                champions[dataset] = (champion.version, backtest)
        return champions

    def _read_runs(self) -> list[dict[str, Any]]:
        return self._state.pipeline.latest_runs(limit=100)

    # -- families --------------------------------------------------------------------------
    def _database_families(self, champions) -> Iterator[GaugeMetricFamily]:
        settings, now = self._state.settings, utc_now()
        champions, summaries = champions or {}, {}
        with self._state.sessions() as session:
            newest = session.execute(
                select(Dataset.name, func.max(Observation.ts), func.max(Observation.updated_at))
                .join(Series, Series.id == Observation.series_id)
                .join(Dataset, Dataset.id == Series.dataset_id)
                .group_by(Dataset.name)
                .order_by(Dataset.name)
            ).all()
            backup = latest_backup(session, kind=BACKUP_KIND)
            drill = latest_finished_drill(session)
            for dataset, (version, _) in champions.items():
                summaries[dataset] = recent_summary(
                    session, version,
                    model_name=registered_model_name(settings.registered_model_name, dataset),
                    days=settings.monitoring_lookback_days,
                )  # fmt: skip
        freshness = _gauge("quantis_data_freshness_seconds", ["dataset"])
        newest_ts = _gauge("quantis_data_newest_observation_timestamp_seconds", ["dataset"])
        for dataset, ts, arrived in newest:
            freshness.add_metric([dataset], (now - as_utc(arrived)).total_seconds())
            newest_ts.add_metric([dataset], as_utc(ts).timestamp())
        if newest:
            yield freshness
            yield newest_ts
        finished = backup.finished_at if backup else None
        yield _single(
            "quantis_backup_age_seconds", (now - finished).total_seconds() if finished else math.inf
        )
        if finished:
            yield _single("quantis_backup_last_success_timestamp_seconds", finished.timestamp())
        if drill is not None:
            yield _single("quantis_backup_drill_last_success", float(drill.status == "succeeded"))
            yield _single(
                "quantis_backup_drill_last_timestamp_seconds", drill.finished_at.timestamp()
            )
        yield from self._accuracy_families(champions, summaries)

    def _accuracy_families(self, champions, summaries) -> Iterator[GaugeMetricFamily]:
        yield _single(
            "quantis_accuracy_degradation_factor",
            self._state.settings.accuracy_degradation_factor,
        )
        if not champions:
            return
        backtest = _gauge("quantis_champion_backtest_mase", ["dataset", "version"])
        live = _gauge("quantis_champion_live_mase", ["dataset", "version"])
        coverage = _gauge("quantis_champion_live_coverage_ratio", ["dataset", "version", "level"])
        for dataset, (version, backtest_mase) in sorted(champions.items()):
            if backtest_mase is not None:
                backtest.add_metric([dataset, version], backtest_mase)
            summary = summaries.get(dataset)
            if summary is None:
                continue
            if summary["mase"] is not None:
                live.add_metric([dataset, version], summary["mase"])
            for level, share in summary["coverage"].items():
                if share is not None:
                    coverage.add_metric([dataset, version, level], share)
        for family in (backtest, live, coverage):
            if family.samples:
                yield family

    def _pipeline_families(self, runs) -> Iterator[GaugeMetricFamily]:
        labels = ["job_name", "dataset"]
        success = _gauge("quantis_pipeline_last_success_timestamp_seconds", labels)
        failed = _gauge("quantis_pipeline_last_run_failed", labels)
        seen_success, seen_finished = set(), set()
        for run in runs:  # newest first
            key = (run["job_name"], (run.get("tags") or {}).get(DATASET_TAG, ""))
            status = run["status"]
            if status == "SUCCESS" and key not in seen_success and run["ended_at"]:
                success.add_metric(list(key), run["ended_at"])
                seen_success.add(key)
            if status in _FINISHED and key not in seen_finished:
                failed.add_metric(list(key), float(status == "FAILURE"))
                seen_finished.add(key)
        yield success
        yield failed

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = _gauge("quantis_metrics_source_up", ["source"])
        champions = self._guarded(up, "registry", self._champion.get)
        families: list[GaugeMetricFamily] = []
        self._guarded(up, "database", lambda: families.extend(self._database_families(champions)))
        runs = self._guarded(up, "dagster", self._runs.get)
        if runs is not None:
            families.extend(self._pipeline_families(runs))
        yield up
        yield from families

    @staticmethod
    def _guarded(up: GaugeMetricFamily, source: str, read: Callable[[], Any]) -> Any:
        try:
            value = read()
        except Exception as error:  # a source down must not fail the whole scrape
            logger.warning("metrics source %s unreadable: %s", source, type(error).__name__)
            up.add_metric([source], 0.0)
            return None
        if value is PENDING:  # its first read has not ended yet: neither up nor down
            return None
        up.add_metric([source], 1.0)
        return value


def _single(name: str, value: float) -> GaugeMetricFamily:
    family = _gauge(name)
    family.add_metric([], value)
    return family


def latest_finished_drill(session) -> BackupRecord | None:
    """The newest drill that finished, passed or failed."""
    drills = [d for d in list_backups(session, kind=DRILL_KIND, limit=5).items if d.finished_at]
    return drills[0] if drills else None
