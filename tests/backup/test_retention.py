"""Retention keeps the newest backup per day, ISO week and month, and always the newest one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.backup import RetentionPolicy, apply_retention, select_backups_to_keep
from core.backup.manifest import MANIFEST_NAME, FileEntry, Manifest, backup_id_for, backup_prefix
from core.db.engine import make_engine, session_scope
from core.db.repositories import backups as catalog_rows


def _at(day: str, hour: int = 2) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _daily_history(first: str, last: str) -> list[tuple[str, datetime]]:
    moment, end, history = _at(first), _at(last), []
    while moment <= end:
        history.append((f"{moment:%Y-%m-%d}", moment))
        moment += timedelta(days=1)
    return history


def test_synthetic_history_keeps_the_newest_per_day_week_and_month():
    history = [
        *_daily_history("2026-08-01", "2026-11-27"),
        ("2026-11-27 late", _at("2026-11-27", 14)),
    ]
    policy = RetentionPolicy(daily=3, weekly=2, monthly=2)

    kept = select_backups_to_keep(history, policy)

    # days: 27 (late one), 26, 25; ISO weeks 48 (Mon 23rd - Fri 27th) and 47 (ends Sunday
    # 22nd); months: November (27th late) and October (31st).
    assert kept == {"2026-11-27 late", "2026-11-26", "2026-11-25", "2026-11-22", "2026-10-31"}


def test_the_newest_backup_is_kept_even_when_the_policy_keeps_nothing():
    history = _daily_history("2026-11-01", "2026-11-05")
    assert select_backups_to_keep(history, RetentionPolicy(0, 0, 0)) == {"2026-11-05"}
    assert select_backups_to_keep([], RetentionPolicy(1, 1, 1)) == set()


def test_periods_without_backups_are_not_counted():
    history = [("june", _at("2026-06-10")), ("september", _at("2026-09-10"))]
    kept = select_backups_to_keep(history, RetentionPolicy(daily=0, weekly=0, monthly=2))
    assert kept == {"june", "september"}


def test_negative_retention_is_refused_by_name():
    with pytest.raises(ValueError, match="retention weekly must be >= 0"):
        RetentionPolicy(daily=1, weekly=-1, monthly=1)


def _fake_backup(store, moment: datetime, token: str) -> str:
    backup_id = backup_id_for(moment, token)
    prefix = backup_prefix(backup_id)
    store.put_bytes(f"{prefix}/data.bin", b"payload")
    entry = FileEntry("data.bin", 7, "0" * 64)
    manifest = Manifest(backup_id, moment, moment, [], [], [entry])
    store.put_bytes(f"{prefix}/{MANIFEST_NAME}", manifest.to_json())
    return backup_id


def test_apply_retention_deletes_objects_and_catalog_rows_of_pruned_backups(backup_store, db_url):
    ids = [
        _fake_backup(backup_store, _at(f"2026-11-{day:02d}"), f"00000{day}") for day in (1, 2, 3)
    ]
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        for backup_id in ids:
            catalog_rows.record_backup_started(
                session, backup_id=backup_id, kind="full", location="x"
            )

    outcome = apply_retention(
        backup_store, RetentionPolicy(daily=2, weekly=0, monthly=0), catalog_url=db_url
    )

    assert outcome.deleted == [ids[0]] and outcome.kept == [ids[2], ids[1]]
    assert backup_store.list(f"{backup_prefix(ids[0])}/") == []
    assert backup_store.list(f"{backup_prefix(ids[1])}/")
    with session_scope(engine) as session:
        remaining = {r.backup_id for r in catalog_rows.list_backups(session).items}
    engine.dispose()
    assert remaining == {ids[1], ids[2]}
