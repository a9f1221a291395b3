"""Row counts and content checksums per table, to prove a restore holds what was backed up.

Rows are hashed in primary-key order (rowid on SQLite), so equal checksums mean equal
content. The two backends hash differently and are only compared with themselves.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from sqlalchemy import Connection, text

from core.backup.manifest import TableFingerprint

__all__ = ["compare_fingerprints", "postgres_fingerprints", "sqlite_fingerprints"]

# Row text depends on these session settings; pinning them makes checksums comparable
# between the session that dumped and the one that verifies a restore.
_PG_TEXT_SETTINGS = {
    "TimeZone": "UTC",
    "DateStyle": "ISO, YMD",
    "IntervalStyle": "postgres",
    "extra_float_digits": "1",
    "bytea_output": "hex",
}
_PG_TABLES = text(
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname"
)
_PG_PRIMARY_KEY = text(
    "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
    "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
    "WHERE i.indrelid = CAST(:table AS regclass) AND i.indisprimary "
    "ORDER BY array_position(CAST(i.indkey AS int2[]), a.attnum)"
)


def postgres_fingerprints(connection: Connection) -> dict[str, TableFingerprint]:
    """Fingerprints of every table in the current schema, seen by `connection`'s transaction.

    Call it inside the transaction whose snapshot `pg_dump` uses, so both see the same rows.
    """
    quote = connection.dialect.identifier_preparer.quote
    for name, value in _PG_TEXT_SETTINGS.items():
        connection.execute(text(f"SET LOCAL {name} = '{value}'"))
    fingerprints: dict[str, TableFingerprint] = {}
    for table in connection.scalars(_PG_TABLES).all():
        key = connection.scalars(_PG_PRIMARY_KEY, {"table": quote(table)}).all()
        order = ", ".join(quote(column) for column in key) or "t::text"
        rows, checksum = connection.execute(
            text(
                f"SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY {order})), "
                f"'') FROM {quote(table)} AS t"
            )
        ).one()
        fingerprints[table] = TableFingerprint(rows=int(rows), checksum=checksum)
    return fingerprints


def sqlite_fingerprints(path: Path) -> dict[str, TableFingerprint]:
    """Fingerprints of every table of the SQLite file at `path` (opened read-only)."""
    connection = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
    try:
        tables = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        fingerprints: dict[str, TableFingerprint] = {}
        for table, sql in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            width = len(connection.execute(f"SELECT * FROM {quoted} LIMIT 0").description)
            without_rowid = "WITHOUT ROWID" in (sql or "").upper()
            order = ", ".join(str(i + 1) for i in range(width)) if without_rowid else "rowid"
            digest, rows = hashlib.sha256(), 0
            for row in connection.execute(f"SELECT * FROM {quoted} ORDER BY {order}"):
                digest.update(repr(row).encode())
                rows += 1
            fingerprints[table] = TableFingerprint(rows=rows, checksum=digest.hexdigest())
        return fingerprints
    finally:
        connection.close()


def compare_fingerprints(
    expected: dict[str, TableFingerprint], actual: dict[str, TableFingerprint], where: str
) -> None:
    """Raise `VerificationError` naming each table whose rows or content differ."""
    from core.backup.errors import VerificationError

    problems = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if want is None or got is None:
            problems.append(f"table {table} is {'missing' if got is None else 'unexpected'}")
        elif want.rows != got.rows:
            problems.append(f"table {table} has {got.rows} rows, the backup had {want.rows}")
        elif want.checksum != got.checksum:
            problems.append(f"table {table} content checksum differs from the backup")
    if problems:
        raise VerificationError(f"{where}: " + "; ".join(problems))
