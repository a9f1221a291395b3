"""Observation upserts and reads on both backends."""

from __future__ import annotations

import math
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from core.db import copy_read
from core.db.errors import RecordNotFoundError
from core.db.repositories import observations, series
from core.db.repositories.observations import UpsertResult
from core.db.tables import Observation
from core.db.types import as_utc

START = datetime(2024, 1, 1, tzinfo=UTC)


def _days(series_id: int, count: int, value: float = 1.0) -> list[tuple[int, datetime, float]]:
    return [(series_id, START + timedelta(days=i), value + i) for i in range(count)]


def test_reupserting_adds_no_rows_and_updates_values(session):
    store = series.create_series(session, "store")
    assert observations.upsert_observations(session, _days(store.id, 5)) == UpsertResult(5, 0)
    session.commit()
    again = observations.upsert_observations(session, _days(store.id, 7, value=100.0))
    session.commit()
    assert again == UpsertResult(inserted=2, updated=5)
    stored = observations.read_observations(session, store.id)
    assert [point.value for point in stored] == [100.0 + i for i in range(7)]
    assert observations.count_observations(session, store.id) == 7


def test_chunking_gives_the_same_counts(session):
    store = series.create_series(session, "store")
    observations.upsert_observations(session, _days(store.id, 10), chunk_size=3)
    result = observations.upsert_observations(session, _days(store.id, 25), chunk_size=4)
    assert result == UpsertResult(inserted=15, updated=10)
    assert observations.count_observations(session) == 25


def test_duplicate_key_in_one_batch_is_refused_before_writing(session):
    store = series.create_series(session, "store")
    rows = [*_days(store.id, 3), (store.id, START, 9.0)]
    with pytest.raises(ValueError, match="duplicate"):
        observations.upsert_observations(session, rows)
    assert observations.count_observations(session) == 0


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), None, "abc"])
def test_non_numeric_values_are_refused(session, bad):
    store = series.create_series(session, "store")
    with pytest.raises(ValueError, match="quarantine"):
        observations.upsert_observations(session, [(store.id, START, bad)])


def test_series_and_timestamp_are_unique(session):
    store = series.create_series(session, "store")
    session.add(Observation(series_id=store.id, ts=START, value=1.0))
    session.flush()
    session.add(Observation(series_id=store.id, ts=START, value=2.0))
    with pytest.raises(IntegrityError):
        session.flush()


def test_timestamps_are_stored_in_utc(session):
    store = series.create_series(session, "store")
    plus_two = timezone(timedelta(hours=2))
    two_am_at_plus_two = datetime(2024, 1, 1, 2, tzinfo=plus_two)
    observations.upsert_observations(session, [(store.id, two_am_at_plus_two, 1.0)])
    result = observations.upsert_observations(session, [(store.id, START, 5.0)])
    assert result == UpsertResult(inserted=0, updated=1)
    (point,) = observations.read_observations(session, store.id)
    assert point.ts == START and point.ts.tzinfo is not None


def test_read_range_is_inclusive(session):
    store = series.create_series(session, "store")
    observations.upsert_observations(session, _days(store.id, 10))
    chosen = observations.read_observations(
        session, store.id, start=START + timedelta(days=2), end=START + timedelta(days=4)
    )
    assert [point.ts for point in chosen] == [START + timedelta(days=i) for i in (2, 3, 4)]


def test_recent_panel_holds_the_last_n_per_series(session):
    first = series.create_series(session, "first")
    second = series.create_series(session, "second")
    observations.upsert_observations(session, [*_days(first.id, 5), *_days(second.id, 2)])
    panel = observations.read_recent_panel(session, last_n=3)
    assert list(panel.columns) == ["unique_id", "ds", "y"]
    assert panel["unique_id"].tolist() == ["first"] * 3 + ["second"] * 2
    assert panel["y"].tolist() == [3.0, 4.0, 5.0, 1.0, 2.0]
    expected_ds = [START + timedelta(days=i) for i in (2, 3, 4, 0, 1)]
    assert panel["ds"].tolist() == [pd.Timestamp(ts).tz_localize(None) for ts in expected_ds]
    only_second = observations.read_recent_panel(session, last_n=10, series_names=["second"])
    assert only_second["unique_id"].unique().tolist() == ["second"]
    with pytest.raises(RecordNotFoundError, match="ghost"):
        observations.read_recent_panel(session, last_n=1, series_names=["ghost"])


def test_recent_panel_times_are_utc_whatever_the_connection_time_zone(session):
    """PostgreSQL returns timestamps in the connection's zone; the panel holds naive UTC."""
    store = series.create_series(session, "store")
    observations.upsert_observations(session, [(store.id, START + timedelta(hours=h), 1.0 * h)
                                               for h in range(3)])  # fmt: skip
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SET LOCAL TimeZone = 'America/New_York'"))
    panel = observations.read_recent_panel(session, last_n=3)
    expected = [pd.Timestamp(START + timedelta(hours=h)).tz_localize(None) for h in range(3)]
    assert panel["ds"].tolist() == expected


def test_recent_panel_is_read_with_a_cursor_planned_for_every_row(session, monkeypatch):
    """The streamed read (SQLite; PostgreSQL through a driver without COPY): a server-side
    cursor is planned for its first 10% of rows by default, and that plan made the read of a
    large panel several times slower: the read plans for all of them, and leaves the
    transaction's setting as it found it."""
    monkeypatch.setattr(observations, "can_copy", lambda session: False)
    store = series.create_series(session, "store")
    observations.upsert_observations(session, _days(store.id, 5))
    statements: list[str] = []
    connection = session.connection()
    is_postgres = connection.dialect.name == "postgresql"
    before = session.execute(text("SHOW cursor_tuple_fraction")).scalar() if is_postgres else None

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    event.listen(connection, "before_cursor_execute", record)
    try:
        panel = observations.read_recent_panel(session, last_n=3)
    finally:
        event.remove(connection, "before_cursor_execute", record)
    assert panel["y"].tolist() == [3.0, 4.0, 5.0]
    read = next(i for i, sql in enumerate(statements) if "row_number()" in sql)
    planned = [i for i, sql in enumerate(statements) if "cursor_tuple_fraction = 1.0" in sql]
    if is_postgres:
        assert planned and planned[-1] < read
        assert session.execute(text("SHOW cursor_tuple_fraction")).scalar() == before
    else:
        assert planned == []  # SQLite has no such setting


def test_recent_panel_through_copy_is_the_streamed_read(session, monkeypatch):
    """PostgreSQL reads the rows through binary COPY, parsed a part at a time (here parts of
    a few rows, so that rows straddle the parts): the same frame as the streamed read, for
    every series and for some, names in the server's order included."""
    names = ["b", "A", "ärger", "a b", "z"]
    stores = [series.create_series(session, name) for name in names]
    rows = [(s.id, START + timedelta(days=d), i * 100.0 + d / 7) for i, s in enumerate(stores)
            for d in range(40 + 3 * i)]  # fmt: skip
    observations.upsert_observations(session, rows)
    if session.connection().dialect.name != "postgresql":
        assert not observations.can_copy(session)
        return
    assert observations.can_copy(session)
    monkeypatch.setattr(copy_read, "_PARSE_BYTES", 100)
    # last_n 50: the series of 40 to 49 points are shorter, so fewer rows than the bound
    for last_n, selected in ((30, None), (30, ["z", "A", "a b"]), (50, None), (50, ["b"])):
        copied = observations.read_recent_panel(session, last_n, selected)
        with monkeypatch.context() as streamed:
            streamed.setattr(observations, "can_copy", lambda session: False)
            expected = observations.read_recent_panel(session, last_n, selected)
        pd.testing.assert_frame_equal(copied, expected)
        lengths = dict(zip(names, (40 + 3 * i for i in range(len(names))), strict=True))
        read = selected or names
        assert len(copied) == sum(min(last_n, lengths[name]) for name in read)
        assert len({id(name) for name in copied["unique_id"]}) == copied["unique_id"].nunique()


def test_recent_panel_through_copy_holds_its_rows_once(session, monkeypatch):
    """At the read's peak the rows exist about once (columns allocated for the series times
    `last_n` and filled in place, names repeated over each series' run), not as parsed parts
    beside their join (twice the frame, as the read first did)."""
    stores = [series.create_series(session, f"s{i:03d}") for i in range(300)]
    observations.upsert_observations(
        session, [row for store in stores for row in _days(store.id, 100, store.id)]
    )
    if session.connection().dialect.name != "postgresql":
        assert not observations.can_copy(session)
        return
    monkeypatch.setattr(copy_read, "_PARSE_BYTES", 16 << 10)
    tracemalloc.start()
    panel = observations.read_recent_panel(session, last_n=100)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(panel) == 30_000 and panel["y"].iloc[-1] == stores[-1].id + 99
    frame_bytes = 30_000 * 3 * 8  # a name pointer, a stamp and a value per row
    assert peak < 1.5 * frame_bytes


def test_panels_hold_one_name_string_per_series_not_per_row(session):
    """A name string per row would cost as much as the rest of the row (10,000 series x 730
    points: ~380 MiB); the rows of a series share one."""
    first = series.create_series(session, "first")
    second = series.create_series(session, "second")
    observations.upsert_observations(session, [*_days(first.id, 4), *_days(second.id, 3)])
    for panel in (observations.read_recent_panel(session, last_n=10),
                  observations.read_panel(session)):  # fmt: skip
        names = panel["unique_id"].tolist()
        assert names == ["first"] * 4 + ["second"] * 3
        assert len({id(name) for name in names}) == 2


def test_recent_panel_of_empty_database_has_the_columns(session):
    panel = observations.read_recent_panel(session, last_n=3)
    assert panel.empty and list(panel.columns) == ["unique_id", "ds", "y"]


def test_upsert_panel_creates_series_and_is_idempotent(session):
    panel = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b"],
            "ds": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01"]),
            "y": [1.0, 2.0, 3.0],
        }
    )
    assert observations.upsert_panel(session, panel, frequency="D") == UpsertResult(3, 0)
    assert observations.upsert_panel(session, panel) == UpsertResult(0, 3)
    assert series.get_series_by_name(session, "b").frequency == "D"
    round_trip = observations.read_recent_panel(session, last_n=5)
    pd.testing.assert_frame_equal(round_trip, panel, check_dtype=False)


def test_upsert_panel_into_a_dataset_and_its_first_times(session):
    from core.datasets import DatasetConfig
    from core.db.repositories.datasets import create_dataset

    monthly = create_dataset(session, DatasetConfig(name="monthly", frequency="MS"))
    panel = pd.DataFrame(
        {
            "unique_id": ["a", "a"],
            "ds": pd.to_datetime(["2024-02-01", "2024-03-01"]),
            "y": [1.0, 2.0],
        }
    )
    observations.upsert_panel(session, panel, dataset_id=monthly.id)
    observations.upsert_panel(session, panel.assign(ds=pd.to_datetime(["2023-01-05"] * 2)).head(1))
    session.commit()
    assert observations.first_observation_times(session, monthly.id) == {
        "a": datetime(2024, 2, 1, tzinfo=UTC)
    }
    assert observations.first_observation_times(session) == {"a": datetime(2023, 1, 5, tzinfo=UTC)}
    assert series.get_series_by_name(session, "a", monthly.id).dataset_id == monthly.id


def test_upsert_panel_names_missing_columns(session):
    with pytest.raises(ValueError, match="y"):
        observations.upsert_panel(session, pd.DataFrame({"unique_id": ["a"], "ds": [START]}))


def test_recent_values_are_the_last_points_oldest_first(session):
    store = series.create_series(session, "store")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [(store.id, start + timedelta(days=i), float(i)) for i in range(10)]
    observations.upsert_observations(session, rows)
    stamps, values = observations.recent_values(session, store.id, 3)
    assert values == [7.0, 8.0, 9.0]
    assert stamps == [start + timedelta(days=i) for i in (7, 8, 9)]
    assert observations.recent_values(session, store.id + 1, 3) == ([], [])


def _stored(session) -> list[tuple]:
    query = text(
        "SELECT s.name, o.ts, o.value FROM observations o JOIN series s ON s.id = o.series_id"
    )
    return sorted(
        (name, as_utc(pd.Timestamp(ts).to_pydatetime()), value)
        for name, ts, value in session.execute(query)
    )


def _mixed_panel(values_from: float = 0.0) -> pd.DataFrame:
    """Two series, one given in another time zone (stored in UTC), unsorted rows."""
    plus_two = timezone(timedelta(hours=2))
    return pd.DataFrame(
        {
            "unique_id": ["b", "a", "a", "b", "a"],
            "ds": [
                datetime(2024, 1, 2, 2, tzinfo=plus_two),
                datetime(2024, 1, 1, tzinfo=plus_two),
                datetime(2024, 1, 2, 12, 30, 0, 250, tzinfo=plus_two),
                datetime(2024, 1, 1, 2, tzinfo=plus_two),
                datetime(2024, 1, 3, tzinfo=plus_two),
            ],
            "y": [values_from + i for i in range(5)],
        }
    )


@pytest.mark.parametrize("method", observations.UPSERT_METHODS)
def test_upsert_panel_methods_store_the_same_rows_with_the_same_counts(session, method):
    first = observations.upsert_panel(session, _mixed_panel().iloc[:3], method=method)
    second = observations.upsert_panel(session, _mixed_panel(10.0), method=method)
    session.commit()
    assert (first, second) == (UpsertResult(3, 0), UpsertResult(2, 3))
    plus_two = timezone(timedelta(hours=2))
    expected = [
        ("a", datetime(2024, 1, 1, tzinfo=plus_two), 11.0),
        ("a", datetime(2024, 1, 2, 12, 30, 0, 250, tzinfo=plus_two), 12.0),
        ("a", datetime(2024, 1, 3, tzinfo=plus_two), 14.0),
        ("b", datetime(2024, 1, 1, 2, tzinfo=plus_two), 13.0),
        ("b", datetime(2024, 1, 2, 2, tzinfo=plus_two), 10.0),
    ]
    assert _stored(session) == sorted((n, ts.astimezone(UTC), v) for n, ts, v in expected)
    # the rows are found by their key as upsert_observations writes it
    a = series.get_series_by_name(session, "a")
    again = observations.upsert_observations(session, [(a.id, expected[0][1], 1.0)])
    assert again == UpsertResult(0, 1)


def test_relanding_a_panel_stores_nothing_twice(session):
    panel = pd.DataFrame(
        {
            "unique_id": [f"s{i % 7}" for i in range(700)],
            "ds": [START + timedelta(days=i // 7) for i in range(700)],
            "y": [float(i) for i in range(700)],
        }
    )
    assert observations.upsert_panel(session, panel) == UpsertResult(700, 0)
    session.commit()
    assert observations.upsert_panel(session, panel) == UpsertResult(0, 700)
    session.commit()
    assert observations.count_observations(session) == 700
    stored = observations.read_panel(session)
    assert stored["y"].sum() == panel["y"].sum()
    # no staging table is left behind in the session's connection
    assert observations.upsert_panel(session, panel.iloc[:10]) == UpsertResult(0, 10)


@pytest.mark.parametrize("method", observations.UPSERT_METHODS)
def test_upsert_panel_refuses_bad_rows_before_writing(session, method):
    panel = pd.DataFrame(
        {"unique_id": ["a", "a", "a"], "ds": pd.to_datetime(["2024-01-01"] * 2 + ["2024-01-02"])}
    )
    with pytest.raises(ValueError, match=r"1 duplicate .*2024-01-01T00:00:00\+00:00"):
        observations.upsert_panel(session, panel.assign(y=[1.0, 2.0, 3.0]), method=method)
    for bad in (float("nan"), float("inf"), None, "abc"):
        distinct = panel.assign(ds=pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]))
        with pytest.raises(ValueError, match="not a finite number; quarantine"):
            observations.upsert_panel(session, distinct.assign(y=[1.0, bad, 3.0]), method=method)
    assert observations.count_observations(session) == 0


def test_upsert_panel_rejects_an_unknown_method(session):
    with pytest.raises(ValueError, match="staged"):
        observations.upsert_panel(session, _mixed_panel(), method="copy")


def test_read_panel_filters_by_series_and_range_in_name_and_time_order(session):
    """The same frame on both backends (PostgreSQL reads it through binary COPY)."""
    panel = pd.DataFrame(
        {
            "unique_id": ["b", "b", "b", "a", "a", "c"],
            "ds": pd.to_datetime(["2024-01-03", "2024-01-01", "2024-01-02"] * 2),
            "y": [3.0, 1.0, 2.0, 13.0, 11.0, 7.0],
        }
    )
    observations.upsert_panel(session, panel)
    ids = [series.get_series_by_name(session, name).id for name in ("a", "b")]
    got = observations.read_panel(
        session, series_ids=ids, start=START + timedelta(days=1), before=START + timedelta(days=3)
    )
    expected = pd.DataFrame(
        {
            "unique_id": ["a", "b", "b"],
            "ds": pd.to_datetime(["2024-01-03", "2024-01-02", "2024-01-03"]),
            "y": [13.0, 2.0, 3.0],
        }
    )
    pd.testing.assert_frame_equal(got, expected)
    assert observations.read_panel(session, before=START).empty


def test_seasonal_scales_in_the_database_are_the_in_sample_scales(session):
    from models.metrics import in_sample_scales

    season = 3
    rng = np.random.default_rng(7)
    values = {
        "long": list(rng.normal(10.0, 2.0, 20)),  # lag 3
        "short": [1.0, 4.0, 2.0],  # no more than a season: lag 1
        "flat": [5.0] * 8,  # scale 0: undefined
        "single": [2.0],  # no difference at all: left out
    }
    panel = pd.DataFrame(
        [
            (name, (START + timedelta(days=day)).replace(tzinfo=None), value)
            for name, series_values in values.items()
            for day, value in enumerate(series_values)
        ],
        columns=["unique_id", "ds", "y"],
    )
    observations.upsert_panel(session, panel)
    ids = series.series_ids_by_name(session, values)
    origins = [START + timedelta(days=8), START + timedelta(days=20)]
    keys = [(ids[name], origin) for name in values for origin in origins]
    if not observations.can_compute_scales(session):
        with pytest.raises(NotImplementedError):
            observations.seasonal_scales(session, keys, season)
        return
    found = observations.seasonal_scales(session, keys, season)
    expected = {}
    for origin in origins:
        before = panel[panel["ds"] < origin.replace(tzinfo=None)]
        for name, scale in in_sample_scales(before, season).items():
            if not math.isnan(scale) or name == "flat":
                expected[ids[name], origin] = None if math.isnan(scale) else scale
    assert found.keys() == expected.keys()
    assert (ids["single"], origins[0]) not in found
    for key, scale in expected.items():
        assert found[key] == (None if scale is None else pytest.approx(scale, rel=1e-12))
