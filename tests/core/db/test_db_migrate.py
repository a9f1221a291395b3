"""Migrations run up and down on both backends and match the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from core.db import migrate
from core.db.engine import make_engine
from core.db.tables import Base

KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", KINDS)
def test_upgrade_then_downgrade_round_trips(fresh_db_url, kind):
    url = fresh_db_url(kind)
    assert migrate.current(url) is None
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert set(Base.metadata.tables) <= _tables(url)
    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
    assert _tables(url) == {"alembic_version"}
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()


@pytest.mark.parametrize("kind", KINDS)
def test_migrated_schema_matches_the_models(fresh_db_url, kind):
    url = fresh_db_url(kind)
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_upgrade_is_idempotent(fresh_db_url):
    url = fresh_db_url("sqlite")
    migrate.upgrade(url)
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()


def test_password_with_percent_sign_survives_the_alembic_config():
    config = migrate.alembic_config("postgresql://user:p%25ss@host/db")
    assert config.attributes["url"].password == "p%ss"
    assert config.attributes["url"].drivername == "postgresql+psycopg"
