"""Engines: SQLite pragmas, URL normalising, and the commit/rollback of session_scope."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from core.db.engine import make_engine, normalize_url, session_scope
from core.db.tables import Series
from core.db.types import utc_now


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_observation_of_unknown_series_is_rejected(migrated_engine):
    with pytest.raises(IntegrityError), migrated_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO observations (series_id, ts, value, updated_at) VALUES (:s, :t, 1, :t)"
            ),
            {"s": 999, "t": utc_now().replace(tzinfo=None)},
        )


def test_session_scope_commits_on_success_and_rolls_back_on_error(migrated_engine):
    with session_scope(migrated_engine) as session:
        session.add(Series(name="kept"))
    with pytest.raises(RuntimeError), session_scope(migrated_engine) as session:
        session.add(Series(name="dropped"))
        session.flush()
        raise RuntimeError("boom")
    with session_scope(migrated_engine) as session:
        assert session.scalars(select(Series.name)).all() == ["kept"]
        assert session.scalar(select(func.count()).select_from(Series)) == 1


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_plain_postgres_urls_use_psycopg3(scheme):
    assert normalize_url(f"{scheme}://u@h/db").drivername == "postgresql+psycopg"


def test_sqlite_folder_is_created(tmp_path):
    path = tmp_path / "deep" / "folder" / "q.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    engine.dispose()
    assert path.is_file()
