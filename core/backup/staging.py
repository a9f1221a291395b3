"""Restore a dump beside its target, verify it there, and only then put it in place.

`stage_database` restores into a staging database (a new PostgreSQL database on the target's
server, or a SQLite file in the work folder) and checks integrity and every table's row count
and checksum against the manifest,
and each dataset's row counts. The target is untouched until `commit`.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from pathlib import Path

from sqlalchemy.engine import make_url

from core.backup import postgres
from core.backup.dataset_counts import (
    compare_dataset_counts,
    postgres_dataset_counts,
    sqlite_dataset_counts,
)
from core.backup.fingerprints import (
    compare_fingerprints,
    postgres_fingerprints,
    sqlite_fingerprints,
)
from core.backup.manifest import DatabaseEntry
from core.backup.sources import database_kind
from core.backup.sqlite_files import check_integrity, copy_sqlite, decompress, sqlite_path
from core.db.engine import make_engine

__all__ = ["StagedDatabase", "stage_database"]


class StagedDatabase(ABC):
    """A verified copy waiting beside its target; `url` may still be edited before commit."""

    def __init__(self, entry: DatabaseEntry, target_url: str, url: str) -> None:
        self.entry, self.target_url, self.url = entry, target_url, url

    @abstractmethod
    def commit(self) -> None:
        """Put the staged copy in place of the target."""

    @abstractmethod
    def discard(self) -> None:
        """Remove the staged copy; the target stays as it was."""


class _StagedSqlite(StagedDatabase):
    def commit(self) -> None:
        # The backup API replaces the target inside one transaction, WAL files included,
        # where renaming over a live file would pair the old WAL with the new database.
        copy_sqlite(sqlite_path(self.url), sqlite_path(self.target_url), self_contained=False)
        self.discard()

    def discard(self) -> None:
        sqlite_path(self.url).unlink(missing_ok=True)


class _StagedPostgres(StagedDatabase):
    def commit(self) -> None:
        target_name = make_url(self.target_url).database
        replaced = None
        if postgres.database_exists(self.target_url):
            replaced = f"{target_name}_replaced_{secrets.token_hex(4)}"[-63:]
            postgres.rename_database(self.target_url, replaced)
        postgres.rename_database(self.url, target_name)
        if replaced is not None:
            postgres.drop_database(make_url(self.target_url).set(database=replaced))

    def discard(self) -> None:
        postgres.drop_database(self.url)


def _check(entry: DatabaseEntry, kind: str, url: str) -> None:
    where = f"restored {entry.name} database"
    if kind == "sqlite":
        check_integrity(sqlite_path(url))
        tables = sqlite_fingerprints(sqlite_path(url))
        compare_fingerprints(entry.tables, tables, where)
        if entry.datasets:
            compare_dataset_counts(
                entry.datasets, sqlite_dataset_counts(sqlite_path(url), tables), where
            )
        return
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            tables = postgres_fingerprints(connection)
            compare_fingerprints(entry.tables, tables, where)
            if entry.datasets:
                compare_dataset_counts(
                    entry.datasets, postgres_dataset_counts(connection, tables), where
                )
    finally:
        engine.dispose()


def stage_database(entry: DatabaseEntry, dump: Path, target_url: str, work: Path) -> StagedDatabase:
    """Restore `dump` (already checked against its sha256) next to `target_url` and verify it."""
    kind = database_kind(target_url)
    if kind != entry.kind:
        raise ValueError(
            f"backup of {entry.name} is a {entry.kind} dump; it cannot be restored into {kind}"
        )
    if kind == "sqlite":
        staged_path = work / f"staged-{secrets.token_hex(4)}.sqlite3"
        decompress(dump, staged_path)
        dump.unlink()
        staged: StagedDatabase = _StagedSqlite(entry, target_url, f"sqlite:///{staged_path}")
    else:
        label = f"{make_url(target_url).database}_restore"[:48]
        staged = _StagedPostgres(
            entry, target_url, postgres.scratch_database_url(target_url, label)
        )
        postgres.create_database(staged.url)
    try:
        if kind == "postgresql":
            postgres.pg_restore(dump, staged.url)
        _check(entry, kind, staged.url)
    except BaseException:
        staged.discard()
        raise
    return staged
