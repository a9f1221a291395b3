"""Binary COPY reads into NumPy columns (PostgreSQL; SQLite has no COPY)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import numpy as np
import pytest
from sqlalchemy import false, func, literal_column, select
from sqlalchemy.orm import Session

from core.db import copy_read
from core.db.copy_read import CopyFormatError, can_copy, copy_columns
from core.db.engine import make_engine


@pytest.fixture
def pg_session(postgres_session_db_url: str) -> Iterator[Session]:
    engine = make_engine(postgres_session_db_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _column(sql: str, label: str):
    return literal_column(sql).label(label)


def test_rows_come_back_as_typed_columns_in_the_query_order(pg_session, monkeypatch):
    monkeypatch.setattr(copy_read, "_PARSE_BYTES", 64)  # rows straddle the parsed parts
    n = func.generate_series(1, 500).column_valued("n")
    query = select(
        (1000 - n).label("id"),
        (
            func.timestamptz("1999-12-31 23:59:59.5+00") + n * literal_column("interval '1 hour'")
        ).label("ts"),
        (n / 8.0).label("value"),
    ).order_by(n.desc())
    columns = copy_columns(
        pg_session, query, [("id", "bigint"), ("ts", "timestamptz"), ("value", "float8")]
    )
    expected_n = np.arange(500, 0, -1)
    np.testing.assert_array_equal(columns["id"], 1000 - expected_n)
    start = np.datetime64("1999-12-31T23:59:59.500", "ns")
    np.testing.assert_array_equal(columns["ts"], start + expected_n * np.timedelta64(1, "h"))
    np.testing.assert_array_equal(columns["value"], expected_n / 8.0)
    assert columns["id"].dtype == np.int64 and columns["value"].dtype == np.float64
    assert columns["ts"].dtype == np.dtype("datetime64[ns]")


def test_timestamps_are_utc_whatever_the_connection_time_zone(pg_session):
    pg_session.execute(select(func.set_config("TimeZone", "Asia/Tokyo", True)))
    query = select(_column("timestamptz '2024-03-01 12:00:00+00'", "ts"))
    columns = copy_columns(pg_session, query, [("ts", "timestamptz")])
    assert columns["ts"].tolist() == [np.datetime64("2024-03-01T12:00:00", "ns").item()]


def _numbered(rows: int):
    n = func.generate_series(1, rows).column_valued("n")
    return select(n.label("id"), (n / 4.0).label("value")).order_by(n)


def test_a_bound_on_the_rows_holds_them_once(pg_session, monkeypatch):
    """With the row count bounded ahead, the columns are filled in place: at the peak the
    rows exist once, beside a parsed part, not also as parts waiting to be joined."""
    monkeypatch.setattr(copy_read, "_PARSE_BYTES", 64 << 10)
    rows, kinds = 200_000, [("id", "bigint"), ("value", "float8")]
    peaks = {}
    for bound in (None, rows):
        tracemalloc.start()
        columns = copy_columns(pg_session, _numbered(rows), kinds, rows_at_most=bound)
        peaks[bound] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        np.testing.assert_array_equal(columns["id"], np.arange(1, rows + 1))
        np.testing.assert_array_equal(columns["value"], np.arange(1, rows + 1) / 4.0)
    held = rows * 16
    assert peaks[rows] < 1.2 * held < peaks[None]


@pytest.mark.parametrize("bound", [0, 1, 10, 499, 500, 501, 10_000])
def test_any_bound_reads_every_row(pg_session, monkeypatch, bound):
    """A bound below the rows that come (a series added meanwhile) grows the columns."""
    monkeypatch.setattr(copy_read, "_PARSE_BYTES", 64)
    columns = copy_columns(
        pg_session, _numbered(500), [("id", "bigint"), ("value", "float8")], rows_at_most=bound
    )
    np.testing.assert_array_equal(columns["id"], np.arange(1, 501))
    np.testing.assert_array_equal(columns["value"], np.arange(1, 501) / 4.0)


def test_no_rows_give_empty_typed_columns(pg_session):
    query = select(_column("1", "id"), _column("now()", "ts")).where(false())
    columns = copy_columns(pg_session, query, [("id", "bigint"), ("ts", "timestamptz")])
    assert len(columns["id"]) == 0 and columns["ts"].dtype == np.dtype("datetime64[ns]")


@pytest.mark.parametrize(
    ("sql", "kind", "message"),
    [
        ("NULL::double precision", "float8", "NULL"),
        ("'infinity'::timestamptz", "timestamptz", "outside"),
        ("'2300-01-01'::timestamptz", "timestamptz", "outside"),
    ],
)
def test_values_a_column_cannot_hold_are_refused(pg_session, sql, kind, message):
    query = select(_column("1", "id"), _column(sql, "x"))
    with pytest.raises(CopyFormatError, match=message):
        copy_columns(pg_session, query, [("id", "bigint"), ("x", kind)])


def test_columns_must_be_named_with_a_known_type(pg_session):
    query = select(_column("1", "a"), _column("2", "b"))
    with pytest.raises(ValueError, match="2 columns selected, 1 named"):
        copy_columns(pg_session, query, [("a", "bigint")])
    with pytest.raises(ValueError, match="'text' is not one of"):
        copy_columns(pg_session, query, [("a", "bigint"), ("b", "text")])


def test_only_postgresql_with_psycopg_can_copy(pg_session, tmp_path):
    assert can_copy(pg_session)
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with Session(engine) as session:
        assert not can_copy(session)
    engine.dispose()
