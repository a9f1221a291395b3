"""NumPy columns into a PostgreSQL table through binary `COPY ... FROM STDIN`.

The write side of `core.db.copy_read`: rows are packed a block at a time into the wire format
by NumPy (no Python object per row) and streamed in the session's own transaction. Fixed-width
columns only (bigint, double precision, timestamptz), never NULL; psycopg 3 connections
(`can_copy` tells; psycopg2 has no streamed binary COPY in).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sqlalchemy.orm import Session

from core.db.copy_read import COPY_TYPES

__all__ = ["can_copy_in", "copy_in"]

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"  # flags, ext
_TRAILER = b"\xff\xff"
_BLOCK_ROWS = 1 << 20  # rows packed per write: ~30 MiB of wire bytes for three columns
_POSTGRES_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")


def can_copy_in(session: Session) -> bool:
    """Whether the session's connection is PostgreSQL through psycopg 3."""
    bind = session.get_bind()
    return bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg"


def copy_in(
    session: Session,
    table: str,
    columns: Sequence[tuple[str, str]],
    arrays: Mapping[str, np.ndarray],
) -> int:
    """Append the rows of `arrays` (one array per named column, all the same length) to
    `table`; `columns` names each column and its type (a key of `COPY_TYPES`). Timestamps are
    naive UTC `datetime64`. Returns the number of rows written."""
    lengths = {len(arrays[name]) for name, _ in columns}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    rows = lengths.pop() if lengths else 0
    wire = _wire_dtype(columns)
    quote = session.get_bind().dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name, _ in columns)
    raw = session.connection().connection.dbapi_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN (FORMAT binary)") as copy,
    ):
        copy.write(_SIGNATURE)
        for start in range(0, rows, _BLOCK_ROWS):
            block = slice(start, min(start + _BLOCK_ROWS, rows))
            copy.write(_packed(columns, arrays, block, wire).tobytes())
        copy.write(_TRAILER)
    return rows


def _wire_dtype(columns: Sequence[tuple[str, str]]) -> np.dtype:
    fields: list[tuple[str, str]] = [("_fields", ">i2")]
    for name, kind in columns:
        if kind not in COPY_TYPES:
            raise ValueError(f"column {name!r}: type {kind!r} is not one of {sorted(COPY_TYPES)}")
        fields += [(f"_{name}_bytes", ">i4"), (name, COPY_TYPES[kind][1])]
    return np.dtype(fields)


def _packed(
    columns: Sequence[tuple[str, str]],
    arrays: Mapping[str, np.ndarray],
    block: slice,
    wire: np.dtype,
) -> np.ndarray:
    rows = np.empty(block.stop - block.start, dtype=wire)
    rows["_fields"] = len(columns)
    for name, kind in columns:
        values = np.asarray(arrays[name][block])
        rows[f"_{name}_bytes"] = wire[name].itemsize
        if kind == "timestamptz":
            if not np.issubdtype(values.dtype, np.datetime64):
                raise ValueError(f"column {name!r} must hold datetime64 values")
            if np.isnat(values).any():
                raise ValueError(f"column {name!r} holds NaT; COPY writes no NULLs")
            values = (values.astype("datetime64[us]") - _POSTGRES_EPOCH).astype(np.int64)
        rows[name] = values
    return rows
