"""Writes landing while a backup runs do not corrupt it: the backup is one consistent snapshot."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.backup import RestoreTargets, create_backup, restore_backup
from core.backup.sources import OPERATIONAL_DATABASE
from core.db.engine import make_engine, session_scope
from core.db.repositories.observations import count_observations, upsert_observations
from core.db.tables import Series
from tests.backup.conftest import fingerprints_of


class Writer(threading.Thread):
    """Commits one new observation per transaction until stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = make_engine(url)
        self.stop = threading.Event()
        self.commits = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with session_scope(self.engine) as session:
                series_id = session.scalars(select(Series.id)).first()
            start = datetime(2030, 1, 1, tzinfo=UTC)
            while not self.stop.is_set():
                with session_scope(self.engine) as session:
                    moment = start + timedelta(hours=self.commits)
                    upsert_observations(session, [(series_id, moment, float(self.commits))])
                self.commits += 1
        except BaseException as error:
            self.error = error
        finally:
            self.engine.dispose()

    def wait_for_commits(self, at_least: int) -> None:
        while self.commits < at_least and self.is_alive():
            self.stop.wait(0.01)


def _observations(url: str) -> int:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            return count_observations(session)
    finally:
        engine.dispose()


def test_backup_taken_under_concurrent_writes_restores_and_verifies(
    operational_sources, populated_db, backup_store, fresh_db_url
):
    writer = Writer(populated_db)
    writer.start()
    writer.wait_for_commits(5)
    before, commits_before = _observations(populated_db), writer.commits
    try:
        manifest = create_backup(operational_sources, backup_store).manifest
        commits_during = writer.commits - commits_before
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    after = _observations(populated_db)
    assert writer.error is None
    assert commits_during > 0, "no write overlapped the backup; the test proved nothing"

    target = fresh_db_url("sqlite" if populated_db.startswith("sqlite") else "postgresql")
    # restore_backup checks every table's count and checksum against the manifest
    restore_backup(backup_store, manifest.backup_id, RestoreTargets(target))

    restored = fingerprints_of(target)["observations"].rows
    assert restored == manifest.database(OPERATIONAL_DATABASE).tables["observations"].rows
    assert before <= restored <= after
