"""Series repository on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.db.errors import DuplicateRecordError, RecordNotFoundError
from core.db.repositories import observations, series


def test_create_get_and_duplicate_name(session):
    created = series.create_series(session, "store-1", frequency="D", meta={"region": "north"})
    session.commit()
    assert series.get_series(session, created.id).meta == {"region": "north"}
    assert series.get_series_by_name(session, "store-1").frequency == "D"
    assert series.get_series_by_name(session, "absent") is None
    with pytest.raises(DuplicateRecordError, match="store-1"):
        series.create_series(session, "store-1")


def test_blank_name_is_refused(session):
    with pytest.raises(ValueError, match="non-empty"):
        series.create_series(session, "  ")


def test_list_pages_and_filters_by_name(session):
    for name in ["b-shop", "a-shop", "c-depot", "d-shop"]:
        series.create_series(session, name)
    first = series.list_series(session, name_contains="SHOP", limit=2)
    assert [item.name for item in first.items] == ["a-shop", "b-shop"]
    assert first.total == 3
    second = series.list_series(session, name_contains="shop", limit=2, offset=2)
    assert [item.name for item in second.items] == ["d-shop"]
    with pytest.raises(ValueError, match="limit"):
        series.list_series(session, limit=0)


def test_name_filter_treats_wildcards_literally(session):
    series.create_series(session, "100%_real")
    series.create_series(session, "100 fake")
    assert [s.name for s in series.list_series(session, name_contains="%_").items] == ["100%_real"]


def test_delete_removes_the_series_and_its_observations(session):
    doomed = series.create_series(session, "doomed")
    observations.upsert_observations(session, [(doomed.id, datetime(2024, 1, 1, tzinfo=UTC), 1.0)])
    session.commit()
    series.delete_series(session, doomed.id)
    session.commit()
    assert series.get_series(session, doomed.id) is None
    assert observations.count_observations(session) == 0
    with pytest.raises(RecordNotFoundError):
        series.delete_series(session, doomed.id)


def test_ids_by_name_creates_only_when_asked(session):
    series.create_series(session, "known")
    with pytest.raises(RecordNotFoundError, match="new-one"):
        series.series_ids_by_name(session, ["known", "new-one"])
    ids = series.series_ids_by_name(session, ["known", "new-one"], create_missing=True)
    assert set(ids) == {"known", "new-one"}
    assert series.get_series_by_name(session, "new-one").id == ids["new-one"]


def test_inferred_frequency_fills_only_series_without_one(session):
    series.create_series(session, "unset")
    series.create_series(session, "set-by-hand", frequency="W")
    series.create_series(session, "not-named")
    updated = series.record_inferred_frequency(session, ["unset", "set-by-hand", "unset"], "D")
    assert updated == 1
    frequencies = {s.name: s.frequency for s in series.list_series(session).items}
    assert frequencies == {"unset": "D", "set-by-hand": "W", "not-named": None}


def test_every_series_is_in_exactly_one_shard(session):
    created = {series.create_series(session, f"s{i:02d}").id for i in range(11)}
    shards = [series.series_in_shard(session, shard, 3) for shard in range(3)]
    ids = [i for shard in shards for i in shard.values()]
    assert sorted(ids) == sorted(created)
    assert all(shard for shard in shards)
    with pytest.raises(ValueError, match=r"shard must be in \[0, 3\)"):
        series.series_in_shard(session, 3, 3)


def test_lookups_by_id_and_by_name_leave_unknown_ones_out(session):
    first = series.create_series(session, "first")
    second = series.create_series(session, "second")
    assert series.series_names_by_id(session, [first.id, second.id, 999]) == {
        first.id: "first",
        second.id: "second",
    }
    assert series.existing_series_ids(session, ["second", "nope"]) == {"second": second.id}


def test_missing_series_are_created_a_thousand_per_insert(session):
    from sqlalchemy import event

    from core.datasets import DatasetConfig
    from core.db.repositories import datasets

    other = datasets.create_dataset(session, DatasetConfig(name="shops")).id
    names = [f"s{i:04d}" for i in range(2500)]
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO SERIES"):
            statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        ids = series.series_ids_by_name(
            session, reversed(names), create_missing=True, frequency="D", dataset_id=other
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    session.commit()
    assert len(statements) == 3  # 2,500 names: 1,000 + 1,000 + 500 rows
    assert sorted(ids, key=ids.get) == names  # created in name order
    created = series.get_series_by_name(session, "s1234", dataset_id=other)
    assert (created.id, created.frequency, created.meta, created.dataset_id) == (
        ids["s1234"], "D", {}, other,
    )  # fmt: skip
    assert created.created_at is not None
    assert series.series_ids_by_name(session, names, dataset_id=other) == ids
