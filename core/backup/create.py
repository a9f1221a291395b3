"""Take a full backup: dump every database consistently, copy folders, write the manifest last."""

from __future__ import annotations

import platform
import secrets
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from core.backup import catalog
from core.backup.dataset_counts import postgres_dataset_counts, sqlite_dataset_counts
from core.backup.errors import BackupError
from core.backup.fingerprints import postgres_fingerprints, sqlite_fingerprints
from core.backup.manifest import (
    MANIFEST_NAME,
    DatabaseEntry,
    FileEntry,
    FolderEntry,
    Manifest,
    backup_id_for,
    backup_prefix,
    sha256_bytes,
    sha256_file,
)
from core.backup.postgres import exported_snapshot, pg_dump, server_version, tool_version
from core.backup.sources import BackupSources, DatabaseSource, FolderSource
from core.backup.sqlite_files import compress, copy_sqlite, sqlite_path, sqlite_version
from core.db.types import utc_now
from core.storage import ObjectStore, open_object_store

__all__ = ["BackupResult", "create_backup", "database_key", "folder_key_prefix"]

_PACKAGES = ("quantis", "mlflow", "dagster", "sqlalchemy", "alembic")


@dataclass(frozen=True)
class BackupResult:
    manifest: Manifest
    location: str
    manifest_sha256: str
    seconds: float


def database_key(name: str, kind: str) -> str:
    return f"databases/{name}.{'dump' if kind == 'postgresql' else 'sqlite3.gz'}"


def folder_key_prefix(name: str) -> str:
    return f"folders/{name}"


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "sqlite": sqlite_version()}
    for package in _PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "unknown"
    return found


def _dump(source: DatabaseSource, work: Path) -> tuple[DatabaseEntry, Path]:
    kind = source.kind
    local = work / f"dump-{secrets.token_hex(4)}"
    if kind == "sqlite":
        snapshot_file = work / f"snapshot-{secrets.token_hex(4)}"
        copy_sqlite(sqlite_path(source.url), snapshot_file)
        tables, server = sqlite_fingerprints(snapshot_file), sqlite_version()
        datasets = sqlite_dataset_counts(snapshot_file, tables)
        tool = f"{server} online backup API, gzip"
        compress(snapshot_file, local)
        snapshot_file.unlink()
    else:
        try:
            with exported_snapshot(source.url) as (connection, snapshot):
                tables, server = postgres_fingerprints(connection), server_version(connection)
                datasets = postgres_dataset_counts(connection, tables)
                pg_dump(source.url, local, snapshot)
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error
            where = f"the {source.name} database {_redacted(source.url)}"
            raise BackupError(f"cannot read {where}: {cause}") from error
        tool = tool_version("pg_dump")
    entry = DatabaseEntry(
        name=source.name,
        kind=kind,
        key=database_key(source.name, kind),
        source=_redacted(source.url),
        server_version=server,
        tool_version=tool,
        tables=tables,
        datasets=datasets,
    )
    return entry, local


def _absent_optional(source: DatabaseSource) -> bool:
    return not source.required and source.kind == "sqlite" and not sqlite_path(source.url).exists()


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _upload(store: ObjectStore, prefix: str, key: str, local: Path) -> FileEntry:
    entry = FileEntry(key=key, size=local.stat().st_size, sha256=sha256_file(local))
    store.put_file(f"{prefix}/{key}", local)
    return entry


def _copy_folder(
    folder: FolderSource, store: ObjectStore, prefix: str, work: Path, s3_endpoint_url: str | None
) -> tuple[FolderEntry, list[FileEntry]]:
    source = open_object_store(folder.location, s3_endpoint_url=s3_endpoint_url)
    files = []
    for key in source.list():
        local = work / f"object-{secrets.token_hex(4)}"
        source.get_file(key, local)
        files.append(_upload(store, prefix, f"{folder_key_prefix(folder.name)}/{key}", local))
        local.unlink()
    root = source.uri("x").removesuffix("/x")
    entry = FolderEntry(folder.name, root, folder_key_prefix(folder.name), len(files))
    return entry, files


def create_backup(
    sources: BackupSources,
    store: ObjectStore,
    *,
    catalog_url: str | None = None,
    scratch_dir: Path | None = None,
    s3_endpoint_url: str | None = None,
) -> BackupResult:
    """Back up `sources` into `store` under a new dated prefix; the manifest is written last.

    With `catalog_url` the backup is recorded in that database's backup catalog (running,
    then succeeded or failed with the error). A failure leaves no manifest, so the partial
    backup is never restored nor counted by retention.
    """
    clock, started = time.perf_counter(), utc_now()
    backup_id = backup_id_for(started, secrets.token_hex(3))
    prefix = backup_prefix(backup_id)
    location = store.uri(f"{prefix}/{MANIFEST_NAME}")
    if catalog_url:
        catalog.record_started(catalog_url, backup_id, location)
    try:
        with tempfile.TemporaryDirectory(dir=scratch_dir, prefix="quantis-backup-") as work:
            databases, files, skipped = [], [], {}
            for source in sources.all_databases():
                if _absent_optional(source):
                    skipped[source.name] = f"{_redacted(source.url)} does not exist yet"
                    continue
                entry, local = _dump(source, Path(work))
                files.append(_upload(store, prefix, entry.key, local))
                databases.append(entry)
                local.unlink()
            folders = []
            for folder in sources.folders:
                entry, copied = _copy_folder(folder, store, prefix, Path(work), s3_endpoint_url)
                folders.append(entry)
                files.extend(copied)
        manifest = Manifest(
            backup_id, started, utc_now(), databases, folders, files, _versions(), skipped
        )
        document = manifest.to_json()
        store.put_bytes(f"{prefix}/{MANIFEST_NAME}", document)
    except BaseException as error:
        if catalog_url:
            catalog.record_failed(catalog_url, backup_id, error)
        raise
    result = BackupResult(manifest, location, sha256_bytes(document), time.perf_counter() - clock)
    if catalog_url:
        catalog.record_succeeded(
            catalog_url, result.manifest, result.manifest_sha256, result.seconds
        )
    return result
