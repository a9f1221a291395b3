"""Landing file records that make pickup incremental."""

from __future__ import annotations

import pytest

from core.db.repositories import landing_files


def test_loaded_files_are_known_by_key_and_hash(session):
    assert not landing_files.is_known_key(session, "2024/a.csv")
    marked = landing_files.mark_files_loaded(
        session, [("2024/a.csv", "aa" * 32, 120, 10), ["b.parquet", "bb" * 32, 99, 3]], "run-1"
    )
    assert marked == 2
    assert landing_files.is_known_key(session, "2024/a.csv")
    assert landing_files.is_known_file(session, "2024/a.csv", "aa" * 32)
    assert not landing_files.is_known_file(session, "2024/a.csv", "cc" * 32)
    loaded = landing_files.list_landing_files(session, status="loaded")
    assert {(f.key, f.rows, f.run_id) for f in loaded} == {
        ("2024/a.csv", 10, "run-1"),
        ("b.parquet", 3, "run-1"),
    }


def test_recording_again_updates_instead_of_duplicating(session):
    landing_files.record_landing_file(
        session, key="a.csv", sha256="aa", size_bytes=1, status="quarantined", rows=0, error="bad"
    )
    landing_files.mark_files_loaded(session, [("a.csv", "aa", 1, 5)])
    (record,) = landing_files.list_landing_files(session)
    assert (record.status, record.rows, record.error) == ("loaded", 5, None)


def test_bad_status_and_malformed_entries_are_refused(session):
    with pytest.raises(ValueError, match="status"):
        landing_files.record_landing_file(
            session, key="a", sha256="x", size_bytes=1, status="done", rows=0
        )
    with pytest.raises(ValueError, match="expected"):
        landing_files.mark_files_loaded(session, [("a.csv", "aa")])
