"""Query results as NumPy columns through PostgreSQL's binary `COPY ... TO STDOUT`.

For large reads of fixed-width columns (bigint, double precision, timestamptz): the server
sends every row in one stream and the rows are parsed a block at a time by NumPy, with no
Python object per row (a streamed cursor costs ~10 µs a row in Python). psycopg 3 and
psycopg2 connections; other drivers have no COPY.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

__all__ = ["COPY_TYPES", "CopyFormatError", "can_copy", "copy_columns"]

# column type -> (its SQL cast, its big-endian wire type)
COPY_TYPES = {
    "bigint": ("bigint", ">i8"),
    "float8": ("double precision", ">f8"),
    "timestamptz": ("timestamptz", ">i8"),  # microseconds since 2000-01-01 UTC
}
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_TRAILER = b"\xff\xff"
_PARSE_BYTES = 8 << 20  # rows parsed once this much has arrived
_PREALLOCATED_ROWS_MAX = 1 << 26  # the most rows a bound allocates for ahead (512 MiB a column)
_POSTGRES_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in microseconds since 1970-01-01
# the microseconds (since 2000) that datetime64[ns] can hold: 1677-09-21 to 2262-04-11
_US_RANGE = (
    np.iinfo(np.int64).min // 1000 + 1 - _POSTGRES_EPOCH_US,
    np.iinfo(np.int64).max // 1000 - _POSTGRES_EPOCH_US,
)


class CopyFormatError(RuntimeError):
    """The COPY stream is not the fixed-width rows asked for (e.g. a NULL in a column)."""


def can_copy(session: Session) -> bool:
    """Whether the session's connection is PostgreSQL through a driver with COPY."""
    bind = session.get_bind()
    return bind.dialect.name == "postgresql" and bind.dialect.driver in ("psycopg", "psycopg2")


def copy_columns(
    session: Session,
    query: Select,
    columns: Sequence[tuple[str, str]],
    *,
    rows_at_most: int | None = None,
) -> dict[str, np.ndarray]:
    """The rows of `query` as one array per column, in the query's order.

    `columns` names each selected column and its type (a key of `COPY_TYPES`), in the
    query's column order; the values are cast to those types on the server. NULLs are
    refused (`CopyFormatError`): the caller's columns are never nullable. Timestamps come
    back as naive UTC `datetime64[ns]`. Runs in the session's transaction.

    `rows_at_most`, when the caller knows a bound, lets the columns be allocated once and
    filled in place, so that the rows are never held twice (parsed parts and their join);
    more rows than that are still read (the columns grow). The columns may be views of
    larger arrays: the part never written takes address space, not memory.
    """
    if len(columns) != len(query.selected_columns):
        raise ValueError(f"{len(query.selected_columns)} columns selected, {len(columns)} named")
    row = _row_dtype(columns)
    sql = _copy_statement(session, query, columns)
    filled = _FilledColumns(columns, min(rows_at_most or 0, _PREALLOCATED_ROWS_MAX))
    for rows in _parsed_rows(_copy_blocks(session, sql), row, len(columns)):
        filled.append(rows)
    return filled.columns()


class _FilledColumns:
    """Native-typed columns filled block by block into arrays allocated ahead; when a block
    does not fit, each column in turn moves to an array twice as large."""

    def __init__(self, columns: Sequence[tuple[str, str]], capacity: int) -> None:
        self._kinds = dict(columns)
        self._arrays = {
            name: np.empty(capacity, dtype=_native_dtype(kind)) for name, kind in columns
        }
        self._size = 0

    def append(self, rows: np.ndarray) -> None:
        end = self._size + len(rows)
        capacity = len(next(iter(self._arrays.values())))
        if end > capacity:
            self._grow(max(end, 2 * capacity))
        for name, kind in self._kinds.items():
            self._arrays[name][self._size : end] = _native(rows[name], kind)
        self._size = end

    def _grow(self, capacity: int) -> None:
        for name, array in self._arrays.items():
            grown = np.empty(capacity, dtype=array.dtype)
            grown[: self._size] = array[: self._size]
            self._arrays[name] = grown
            del array  # the old one goes before the next column grows

    def columns(self) -> dict[str, np.ndarray]:
        return {name: array[: self._size] for name, array in self._arrays.items()}


def _row_dtype(columns: Sequence[tuple[str, str]]) -> np.dtype:
    fields: list[tuple[str, str]] = [("_fields", ">i2")]
    for name, kind in columns:
        if kind not in COPY_TYPES:
            raise ValueError(f"column {name!r}: type {kind!r} is not one of {sorted(COPY_TYPES)}")
        fields += [(f"_{name}_bytes", ">i4"), (name, COPY_TYPES[kind][1])]
    return np.dtype(fields)


def _copy_statement(session: Session, query: Select, columns: Sequence[tuple[str, str]]) -> str:
    cast = ", ".join(
        f"CAST(q.{_quoted(session, column.name)} AS {COPY_TYPES[kind][0]})"
        for column, (_, kind) in zip(query.selected_columns, columns, strict=True)
    )
    compiled = query.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    return f"COPY (SELECT {cast} FROM ({compiled}) AS q) TO STDOUT (FORMAT binary)"


def _quoted(session: Session, name: str) -> str:
    return session.get_bind().dialect.identifier_preparer.quote(name)


def _copy_blocks(session: Session, sql: str) -> Iterator[bytes]:
    raw = session.connection().connection.dbapi_connection
    with raw.cursor() as cursor:
        if hasattr(cursor, "copy"):  # psycopg 3
            with cursor.copy(sql) as copy:
                for block in copy:
                    yield bytes(block)
        else:  # psycopg2 writes the whole stream to a file
            import io

            buffer = io.BytesIO()
            cursor.copy_expert(sql, buffer)
            yield buffer.getvalue()


def _parsed_rows(blocks: Iterator[bytes], row: np.dtype, n_fields: int) -> Iterator[np.ndarray]:
    """Structured arrays of whole rows, parsed as the stream arrives."""
    pending = bytearray()
    started = False
    for block in blocks:
        pending += block
        if not started:
            if len(pending) < len(_SIGNATURE) + 8:
                continue
            pending = pending[_header_size(pending) :]
            started = True
        if len(pending) >= _PARSE_BYTES:
            whole = len(pending) // row.itemsize * row.itemsize
            yield _checked(np.frombuffer(bytes(pending[:whole]), dtype=row), n_fields)
            del pending[:whole]
    if not started:
        raise CopyFormatError("the COPY stream ended before its header")
    if pending[-len(_TRAILER) :] != _TRAILER:
        raise CopyFormatError("the COPY stream has no end-of-data marker")
    body = pending[: -len(_TRAILER)]
    if len(body) % row.itemsize:
        raise CopyFormatError(
            f"{len(body)} bytes are not whole rows of {row.itemsize}: a NULL or another type"
        )
    if body:
        yield _checked(np.frombuffer(bytes(body), dtype=row), n_fields)


def _header_size(data: bytearray) -> int:
    if bytes(data[: len(_SIGNATURE)]) != _SIGNATURE:
        raise CopyFormatError("not a binary COPY stream (its signature is missing)")
    extension = int.from_bytes(data[len(_SIGNATURE) + 4 : len(_SIGNATURE) + 8], "big")
    return len(_SIGNATURE) + 8 + extension


def _checked(rows: np.ndarray, n_fields: int) -> np.ndarray:
    if not (rows["_fields"] == n_fields).all():
        raise CopyFormatError("a COPY row does not have the columns asked for")
    for name in rows.dtype.names:
        if name.endswith("_bytes") and not (rows[name] == rows.dtype[name[1:-6]].itemsize).all():
            raise CopyFormatError(f"column {name[1:-6]!r} holds a NULL or a value of another size")
    return rows


def _native_dtype(kind: str) -> np.dtype:
    return (
        np.dtype("datetime64[ns]") if kind == "timestamptz" else np.dtype(COPY_TYPES[kind][1][1:])
    )


def _native(values: np.ndarray, kind: str) -> np.ndarray:
    native = values.astype(COPY_TYPES[kind][1].replace(">", "="))
    if kind != "timestamptz":
        return native
    if ((native < _US_RANGE[0]) | (native > _US_RANGE[1])).any():  # infinity too
        raise CopyFormatError("a timestamp is outside what datetime64[ns] holds (1677 to 2262)")
    return ((native + _POSTGRES_EPOCH_US) * 1000).view("datetime64[ns]")
