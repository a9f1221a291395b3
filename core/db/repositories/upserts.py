"""Insert-or-update of row dicts on a table's key, on SQLite and PostgreSQL, with exact counts
of the rows inserted and updated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, literal_column, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db.types import utc_now

__all__ = ["DIALECT_INSERTS", "UpsertResult", "upsert_rows"]

DIALECT_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@dataclass(frozen=True)
class UpsertResult:
    inserted: int
    updated: int

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(self.inserted + other.inserted, self.updated + other.updated)


def _existing_key_count(
    session: Session, table: Table, keys: Sequence[str], rows: Sequence[dict[str, Any]]
) -> int:
    columns = tuple_(*(table.c[key] for key in keys))
    wanted = [tuple(row[key] for key in keys) for row in rows]
    return session.scalar(select(func.count()).select_from(table).where(columns.in_(wanted))) or 0


def upsert_rows(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    keys: Sequence[str],
    updates: Sequence[str],
) -> UpsertResult:
    """Insert `rows` into `table`, updating `updates` (and `updated_at`) where the `keys`
    exist; the rows hold no key twice (the caller checks)."""
    dialect = session.get_bind().dialect.name
    if dialect not in DIALECT_INSERTS:
        raise NotImplementedError(f"upserts support sqlite and postgresql, not {dialect}")
    if not rows:
        return UpsertResult(0, 0)
    statement = DIALECT_INSERTS[dialect](table)
    changed = {column: statement.excluded[column] for column in (*updates, "updated_at")}
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[key] for key in keys], set_=changed
    )
    now = utc_now()
    parameters = [{**row, "updated_at": now} for row in rows]
    if dialect == "postgresql":
        # xmax is 0 only on a freshly inserted row version: exact counts in one round trip.
        inserted_flags = session.execute(
            statement.returning(literal_column("(xmax = 0)")), parameters
        ).scalars()
        inserted = sum(bool(flag) for flag in inserted_flags)
    else:
        # SQLite has no xmax; count the keys already there first (writers are serialised).
        inserted = len(rows) - _existing_key_count(session, table, keys, rows)
        session.execute(statement, parameters)
    return UpsertResult(inserted=inserted, updated=len(rows) - inserted)
