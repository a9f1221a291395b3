"""Stored scenarios: per dataset, a name unique in its dataset, the latest run replaced."""

from __future__ import annotations

import pytest

from core.datasets import DatasetConfig
from core.db.errors import DuplicateRecordError
from core.db.repositories import scenarios as store
from core.db.repositories.datasets import create_dataset, delete_dataset

SPEC = {"name": "promo week", "series": [1], "changes": []}


def test_scenarios_are_kept_per_dataset_with_their_latest_run(session):
    retail = create_dataset(session, DatasetConfig(name="retail")).id
    other = create_dataset(session, DatasetConfig(name="other")).id
    created = store.create_scenario(session, retail, "promo week", SPEC)
    assert created.last_run is None and created.last_run_at is None
    store.create_scenario(session, retail, "a price cut", SPEC, last_run={"total": 1.0})
    store.create_scenario(session, other, "promo week", SPEC)  # another dataset: same name
    session.commit()
    assert [s.name for s in store.list_scenarios(session, retail)] == ["a price cut", "promo week"]
    with pytest.raises(DuplicateRecordError, match="'promo week' already exists"):
        store.create_scenario(session, retail, "promo week", SPEC)
    assert store.get_scenario(session, other, created.id) is None
    store.record_scenario_run(session, created, {"total": 2.5})
    session.commit()
    again = store.get_scenario(session, retail, created.id)
    assert again.last_run == {"total": 2.5} and again.last_run_at is not None
    assert again.spec == SPEC
    assert not store.delete_scenario(session, other, created.id)
    assert store.delete_scenario(session, retail, created.id)
    session.commit()
    assert [s.name for s in store.list_scenarios(session, retail)] == ["a price cut"]
    delete_dataset(session, "other")
    session.commit()
    assert store.list_scenarios(session, other) == []
