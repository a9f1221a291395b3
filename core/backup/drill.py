"""The disaster-recovery drill: restore the newest backup into scratch targets and prove it.

Everything is restored into throwaway places (SQLite files in a temporary folder, fresh
PostgreSQL databases on a given server), verified file by file, table by table and dataset by
dataset (row counts), then a caller-supplied check proves each dataset's champion loads and
forecasts. The measured recovery
time (RTO) and the backup's age (RPO) are returned and recorded in the catalog.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from core.backup import catalog, postgres
from core.backup.listing import latest_complete_backup, load_manifest
from core.backup.manifest import MANIFEST_NAME, Manifest, backup_prefix
from core.backup.restore import RestoreTargets, restore_backup
from core.backup.sources import MLFLOW_ARTIFACTS, MLFLOW_DATABASE, OPERATIONAL_DATABASE
from core.datasets.config import DEFAULT_DATASET
from core.db.types import utc_now
from core.storage import ObjectStore

__all__ = ["ChampionCheck", "DrillReport", "run_drill"]

# (restored MLflow tracking URI, restored artifact root, dataset) -> facts about that dataset's
# loaded champion
ChampionCheck = Callable[[str, str, str], dict[str, Any]]


@dataclass(frozen=True)
class DrillReport:
    drill_id: str
    backup_id: str
    backup_taken_at: datetime
    rto_seconds: float
    restore_seconds: float
    rpo_seconds: float
    tables_verified: int
    rows_verified: int
    files_verified: int
    champion: dict[str, Any] = field(default_factory=dict)  # the `default` dataset's
    champions: dict[str, dict[str, Any]] = field(default_factory=dict)  # by dataset
    datasets: dict[str, dict[str, int]] = field(default_factory=dict)  # rows verified by dataset

    def as_details(self) -> dict[str, Any]:
        details = asdict(self)
        details["backup_taken_at"] = self.backup_taken_at.isoformat()
        return details


def _scratch_url(entry_kind: str, name: str, work: Path, server_url: str | None) -> str:
    if entry_kind == "sqlite":
        return f"sqlite:///{work / f'{name}.sqlite3'}"
    if not server_url:
        raise ValueError(
            f"the backup's {name} database is PostgreSQL: the drill needs a PostgreSQL server "
            "URL to create its scratch database on"
        )
    return postgres.scratch_database_url(server_url, f"quantis_drill_{name}")


def _targets(manifest: Manifest, work: Path, server_url: str | None) -> RestoreTargets:
    urls = {}
    for name in (OPERATIONAL_DATABASE, MLFLOW_DATABASE):
        entry = manifest.database(name)
        if entry is not None:
            urls[name] = _scratch_url(entry.kind, name, work, server_url)
    return RestoreTargets(
        database_url=urls.get(OPERATIONAL_DATABASE),
        mlflow_database_url=urls.get(MLFLOW_DATABASE),
        mlflow_artifact_root=str(work / "artifacts") if manifest.folder(MLFLOW_ARTIFACTS) else None,
        dagster_home=work / "dagster",
    )


def _drop_scratch_databases(targets: RestoreTargets) -> None:
    for url in (targets.database_url, targets.mlflow_database_url):
        if url and not url.startswith("sqlite"):
            postgres.drop_database(url)


def run_drill(
    store: ObjectStore,
    *,
    backup_id: str | None = None,
    champion_check: ChampionCheck | None = None,
    postgres_server_url: str | None = None,
    catalog_url: str | None = None,
    scratch_dir: Path | None = None,
) -> DrillReport:
    """Restore `backup_id` (default: the newest complete backup) into scratch and verify it.

    Raises on any failure, after recording the failed drill in the catalog when asked.
    """
    manifest = load_manifest(store, backup_id) if backup_id else latest_complete_backup(store)
    drill_id = f"drill-{utc_now():%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    location = store.uri(f"{backup_prefix(manifest.backup_id)}/{MANIFEST_NAME}")
    clock = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(dir=scratch_dir, prefix="quantis-drill-") as folder:
            targets = _targets(manifest, Path(folder), postgres_server_url)
            try:
                restored = restore_backup(
                    store, manifest.backup_id, targets, scratch_dir=Path(folder)
                )
                champions = {}
                if champion_check and targets.mlflow_database_url and targets.mlflow_artifact_root:
                    # Every dataset's champion; a backup from before datasets has `default` only.
                    for dataset in sorted(restored.datasets_verified) or [DEFAULT_DATASET]:
                        champions[dataset] = champion_check(
                            targets.mlflow_database_url, targets.mlflow_artifact_root, dataset
                        )
            finally:
                _drop_scratch_databases(targets)
        rto = time.perf_counter() - clock
    except BaseException as error:
        if catalog_url:
            details = {
                "backup_id": manifest.backup_id,
                "error": f"{type(error).__name__}: {error}"[:2000],
                "seconds": round(time.perf_counter() - clock, 3),
            }
            catalog.record_drill(catalog_url, drill_id, location, False, details)
        raise
    report = DrillReport(
        drill_id=drill_id,
        backup_id=manifest.backup_id,
        backup_taken_at=manifest.started_at,
        rto_seconds=rto,
        restore_seconds=restored.seconds,
        rpo_seconds=(utc_now() - manifest.started_at).total_seconds(),
        tables_verified=restored.tables_verified,
        rows_verified=restored.rows_verified,
        files_verified=restored.files_verified,
        champion=champions.get(DEFAULT_DATASET, {}),
        champions=champions,
        datasets=restored.datasets_verified,
    )
    if catalog_url:
        catalog.record_drill(catalog_url, drill_id, location, True, report.as_details())
    return report
