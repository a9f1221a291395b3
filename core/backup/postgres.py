"""PostgreSQL through its own tools: `pg_dump -Fc` from an exported snapshot, `pg_restore`.

The password travels in `PGPASSWORD`, never on a command line that `ps` would show.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

from core.backup.errors import BackupError
from core.db.engine import make_engine, normalize_url
from core.processes import default_stop_signals

__all__ = [
    "create_database",
    "database_exists",
    "database_has_tables",
    "drop_database",
    "exported_snapshot",
    "pg_dump",
    "pg_restore",
    "rename_database",
    "scratch_database_url",
    "server_version",
    "tool_version",
]

_MAINTENANCE_DB = "postgres"


def _libpq(url: str | URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it."""
    parsed = normalize_url(url)
    environment = dict(os.environ)
    if parsed.password is not None:
        environment["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
    finished = subprocess.run(
        command, env=environment, capture_output=True, text=True, preexec_fn=default_stop_signals
    )
    if finished.returncode != 0:
        detail = (finished.stderr or finished.stdout).strip()
        raise BackupError(f"{what} failed (exit {finished.returncode}): {detail}")


def tool_version(tool: str = "pg_dump") -> str:
    version = subprocess.run(
        [tool, "--version"], capture_output=True, text=True, preexec_fn=default_stop_signals
    )
    return version.stdout.strip()


def server_version(connection: Connection) -> str:
    return f"PostgreSQL {connection.scalar(text('SHOW server_version'))}"


@contextmanager
def exported_snapshot(url: str | URL) -> Iterator[tuple[Connection, str]]:
    """A repeatable-read transaction and its exported snapshot id, open for the block.

    `pg_dump --snapshot` and the fingerprints computed on the connection then see exactly
    the same committed rows, whatever is written meanwhile.
    """
    engine = make_engine(url)
    try:
        with (
            engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection,
            connection.begin(),
        ):
            yield connection, connection.scalar(text("SELECT pg_export_snapshot()"))
    finally:
        engine.dispose()


def pg_dump(url: str | URL, destination: Path, snapshot: str | None = None) -> None:
    conninfo, environment = _libpq(url)
    command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges"]
    if snapshot:
        command.append(f"--snapshot={snapshot}")
    command += [f"--file={destination}", f"--dbname={conninfo}"]
    _run(command, environment, f"pg_dump of {normalize_url(url).database}")


def pg_restore(dump: Path, url: str | URL) -> None:
    """Restore a custom-format dump into the (empty) database at `url`, all or nothing."""
    conninfo, environment = _libpq(url)
    command = [
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={conninfo}",
        str(dump),
    ]
    _run(command, environment, f"pg_restore into {normalize_url(url).database}")


@contextmanager
def _maintenance(url: str | URL) -> Iterator[Connection]:
    engine = make_engine(normalize_url(url).set(database=_MAINTENANCE_DB))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection
    finally:
        engine.dispose()


def _quoted(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def database_exists(url: str | URL) -> bool:
    name = normalize_url(url).database
    with _maintenance(url) as connection:
        found = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
    return found is not None


def database_has_tables(url: str | URL) -> bool:
    """Whether the database exists and holds any table (what counts as a non-empty target)."""
    if not database_exists(url):
        return False
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN "
                    "('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
                )
            )
    finally:
        engine.dispose()
    return bool(found)


def create_database(url: str | URL) -> None:
    with _maintenance(url) as connection:
        connection.execute(
            text(f"CREATE DATABASE {_quoted(connection, normalize_url(url).database)}")
        )


def drop_database(url: str | URL) -> None:
    with _maintenance(url) as connection:
        name = _quoted(connection, normalize_url(url).database)
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def rename_database(url: str | URL, new_name: str) -> None:
    """Rename; PostgreSQL refuses while anyone is connected, and that error is passed on."""
    with _maintenance(url) as connection:
        old = _quoted(connection, normalize_url(url).database)
        try:
            connection.execute(
                text(f"ALTER DATABASE {old} RENAME TO {_quoted(connection, new_name)}")
            )
        except Exception as error:
            raise BackupError(
                f"cannot rename database {old} to {new_name}; stop the services connected to "
                f"it (API, Dagster, MLflow) and retry: {error}"
            ) from error


def scratch_database_url(url: str | URL, label: str) -> str:
    """A URL on the same server for a new database `<label>_<random>` (max 63 characters)."""
    name = f"{label}_{secrets.token_hex(4)}"[-63:]
    return normalize_url(url).set(database=name).render_as_string(hide_password=False)
