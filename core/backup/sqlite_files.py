"""SQLite through the online backup API: consistent copies of live databases, never file copies.

A file copy of a live database can catch a half-written page or miss the WAL; the backup API
copies a consistent snapshot while writers carry on.
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from core.backup.errors import BackupError, VerificationError

__all__ = [
    "check_integrity",
    "compress",
    "copy_sqlite",
    "decompress",
    "sqlite_has_tables",
    "sqlite_path",
    "sqlite_version",
]

_BUSY_TIMEOUT_S = 30.0
_CHUNK = 1 << 20


def sqlite_path(url: str) -> Path:
    """The file of a `sqlite:///...` URL; in-memory databases cannot be backed up."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        raise ValueError(f"{url!r} is not a SQLite database file URL")
    return Path(parsed.database)


def sqlite_version() -> str:
    return f"sqlite {sqlite3.sqlite_version}"


def copy_sqlite(source: Path, destination: Path, *, self_contained: bool = True) -> None:
    """Copy `source` into `destination` with the backup API, as one consistent snapshot.

    The destination is replaced inside one transaction (safe for a database others have
    open). `self_contained` leaves it in rollback-journal mode: one file, no WAL beside it.
    """
    if not Path(source).is_file():
        raise BackupError(f"SQLite database {source} does not exist")
    Path(destination).parent.mkdir(parents=True, exist_ok=True)
    reader = sqlite3.connect(source, timeout=_BUSY_TIMEOUT_S)
    writer = sqlite3.connect(destination, timeout=_BUSY_TIMEOUT_S)
    try:
        # pages=-1 copies everything in one step, i.e. from one read snapshot.
        reader.backup(writer, pages=-1)
        if self_contained:
            writer.execute("PRAGMA journal_mode=DELETE")
    finally:
        writer.close()
        reader.close()


def compress(source: Path, destination: Path) -> None:
    """Gzip a database snapshot: SQLite pages compress several-fold, pg_dump -Fc already is."""
    with Path(source).open("rb") as reader, gzip.open(destination, "wb", compresslevel=6) as out:
        shutil.copyfileobj(reader, out, _CHUNK)


def decompress(source: Path, destination: Path) -> None:
    try:
        with gzip.open(source, "rb") as reader, Path(destination).open("wb") as out:
            shutil.copyfileobj(reader, out, _CHUNK)
    except (OSError, EOFError) as error:
        raise VerificationError(f"{source} does not decompress: {error}") from error


def check_integrity(path: Path) -> None:
    connection = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise VerificationError(f"{path} is not a readable SQLite database: {error}") from error
    finally:
        connection.close()
    if verdict != "ok":
        raise VerificationError(f"{path} fails the SQLite integrity check: {verdict}")


def sqlite_has_tables(path: Path) -> bool:
    """Whether the file exists and holds any table (what counts as a non-empty target)."""
    if not Path(path).is_file() or Path(path).stat().st_size == 0:
        return False
    connection = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
    try:
        found = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        ).fetchone()[0]
    finally:
        connection.close()
    return bool(found)
