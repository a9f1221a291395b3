"""Restore a backup into chosen targets: refuse non-empty ones, verify fully before touching any.

Order: the manifest (an incomplete backup is refused), the targets (a target holding data is
refused unless `overwrite`), every needed file downloaded and checked against its sha256,
every database restored into staging and checked table by table; only then are artifacts
copied and the staged databases put in place of their targets.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from core.backup import postgres
from core.backup.errors import RestoreRefusedError
from core.backup.listing import load_manifest
from core.backup.manifest import Manifest
from core.backup.mlflow_paths import rewrite_artifact_root
from core.backup.sources import (
    DAGSTER_PREFIX,
    MLFLOW_ARTIFACTS,
    MLFLOW_DATABASE,
    OPERATIONAL_DATABASE,
    database_kind,
)
from core.backup.sqlite_files import sqlite_has_tables, sqlite_path
from core.backup.staging import StagedDatabase, stage_database
from core.backup.verify import fetch_verified
from core.storage import ObjectStore, open_object_store

__all__ = ["RestoreReport", "RestoreTargets", "restore_backup"]


@dataclass(frozen=True)
class RestoreTargets:
    """Where each part of a backup goes; parts left None are not restored."""

    database_url: str | None = None
    mlflow_database_url: str | None = None
    mlflow_artifact_root: str | None = None
    dagster_home: Path | None = None

    def databases(self, manifest: Manifest) -> dict[str, str]:
        """Backup database name -> target URL, for every part asked for."""
        wanted = {}
        if self.database_url:
            wanted[OPERATIONAL_DATABASE] = self.database_url
        if self.mlflow_database_url:
            wanted[MLFLOW_DATABASE] = self.mlflow_database_url
        for name in wanted:
            if manifest.database(name) is None:
                raise ValueError(f"backup {manifest.backup_id} holds no {name} database")
        if self.dagster_home is not None:
            for entry in manifest.databases:
                if entry.name.startswith(DAGSTER_PREFIX):
                    path = Path(self.dagster_home) / entry.name.removeprefix(DAGSTER_PREFIX)
                    wanted[entry.name] = f"sqlite:///{path}"
        return wanted


@dataclass(frozen=True)
class RestoreReport:
    backup_id: str
    restored: dict[str, str]
    tables_verified: int
    rows_verified: int
    files_verified: int
    seconds: float
    artifact_rows_moved: int = 0
    # {dataset: {table: rows}} of the restored operational database, checked against the backup.
    datasets_verified: dict[str, dict[str, int]] = field(default_factory=dict)


def _has_data(url: str) -> bool:
    if database_kind(url) == "sqlite":
        return sqlite_has_tables(sqlite_path(url))
    return postgres.database_has_tables(url)


def _refuse_non_empty(databases: dict[str, str], artifacts: ObjectStore | None) -> None:
    full = [
        make_url(url).render_as_string(hide_password=True)
        for url in databases.values()
        if _has_data(url)
    ]
    if artifacts is not None and artifacts.list():
        full.append(artifacts.uri("x").removesuffix("/x"))
    if full:
        raise RestoreRefusedError(
            f"restore target(s) already hold data: {', '.join(full)}; restore elsewhere or "
            "pass overwrite=True (--overwrite) to replace them"
        )


def _store_root(store: ObjectStore) -> str:
    return store.uri("x").removesuffix("/x")


def _fetch_artifacts(store: ObjectStore, manifest: Manifest, work: Path) -> dict[str, Path]:
    folder = manifest.folder(MLFLOW_ARTIFACTS)
    if folder is None:
        raise ValueError(f"backup {manifest.backup_id} holds no MLflow artifacts")
    fetched = {}
    for entry in manifest.files:
        if entry.key.startswith(folder.key_prefix + "/"):
            relative = entry.key.removeprefix(folder.key_prefix + "/")
            fetched[relative] = fetch_verified(
                store, manifest, entry.key, work / "artifacts" / relative
            )
    return fetched


def restore_backup(
    store: ObjectStore,
    backup_id: str,
    targets: RestoreTargets,
    *,
    overwrite: bool = False,
    scratch_dir: Path | None = None,
    s3_endpoint_url: str | None = None,
) -> RestoreReport:
    """Restore `backup_id` into `targets`; on any failure every target is left unchanged."""
    clock = time.perf_counter()
    manifest = load_manifest(store, backup_id)
    databases = targets.databases(manifest)
    artifacts = (
        open_object_store(targets.mlflow_artifact_root, s3_endpoint_url=s3_endpoint_url)
        if targets.mlflow_artifact_root
        else None
    )
    if not databases and artifacts is None:
        raise ValueError("nothing to restore: name at least one target")
    if not overwrite:
        _refuse_non_empty(databases, artifacts)
    staged: list[StagedDatabase] = []
    with tempfile.TemporaryDirectory(dir=scratch_dir, prefix="quantis-restore-") as folder:
        work = Path(folder)
        try:
            fetched = _fetch_artifacts(store, manifest, work) if artifacts is not None else {}
            dumps = {
                name: fetch_verified(store, manifest, manifest.database(name).key, work / name)
                for name in databases
            }
            for name, url in databases.items():
                staged.append(stage_database(manifest.database(name), dumps[name], url, work))
            moved = _move_artifact_root(manifest, staged, artifacts)
            for relative, path in fetched.items():
                artifacts.put_file(relative, path)
            for copy in staged:
                copy.commit()
        except BaseException:
            for copy in staged:
                copy.discard()
            raise
    entries = [manifest.database(name) for name in databases]
    restored = {
        name: make_url(url).render_as_string(hide_password=True) for name, url in databases.items()
    }
    if artifacts is not None:
        restored[MLFLOW_ARTIFACTS] = _store_root(artifacts)
    return RestoreReport(
        backup_id=manifest.backup_id,
        restored=restored,
        tables_verified=sum(len(entry.tables) for entry in entries),
        rows_verified=sum(fp.rows for entry in entries for fp in entry.tables.values()),
        files_verified=len(dumps) + len(fetched),
        seconds=time.perf_counter() - clock,
        artifact_rows_moved=moved,
        datasets_verified={
            dataset: counts for entry in entries for dataset, counts in entry.datasets.items()
        },
    )


def _move_artifact_root(
    manifest: Manifest, staged: list[StagedDatabase], artifacts: ObjectStore | None
) -> int:
    mlflow = next((copy for copy in staged if copy.entry.name == MLFLOW_DATABASE), None)
    folder = manifest.folder(MLFLOW_ARTIFACTS)
    if mlflow is None or artifacts is None or folder is None:
        return 0
    return rewrite_artifact_root(mlflow.url, folder.source, _store_root(artifacts))
