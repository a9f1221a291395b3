"""Migration 0007: existing keys keep seeing every dataset (SQL NULL, not a JSON null), and
going back below it is refused while a live key is limited to datasets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData, text

from core.db import migrate
from core.db.engine import make_engine, session_scope
from core.db.repositories.api_keys import create_api_key

KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
BEFORE = "0006_datasets"
# Up to this revision only: SQLite runs DDL outside the migration transaction, so a refused
# downgrade from a later head would leave the later revisions undone.
AFTER = "0007_api_key_datasets"
NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _keys(url: str) -> list[tuple[str, bool]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT name, datasets IS NULL FROM api_keys ORDER BY name")
            )
            return [(name, bool(unlimited)) for name, unlimited in found]
    finally:
        engine.dispose()


def _insert_key(url: str, name: str, datasets: list[str] | None) -> None:
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine, only=["api_keys"])
        row = {"name": name, "prefix": f"qk_{name}", "hash": "h", "scopes": ["read"],
               "created_at": NOW}  # fmt: skip
        if datasets is not None:
            row["datasets"] = datasets
        with engine.begin() as connection:
            connection.execute(metadata.tables["api_keys"].insert(), row)
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", KINDS)
def test_existing_keys_see_every_dataset_and_a_limit_blocks_the_downgrade(fresh_db_url, kind):
    url = fresh_db_url(kind)
    migrate.upgrade(url, BEFORE)
    _insert_key(url, "old", None)
    migrate.upgrade(url, AFTER)
    assert _keys(url) == [("old", True)]
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:  # the repository stores "no limit" as NULL
            create_api_key(session, name="new", scopes=["read"], secret_key="s", datasets=None)
    finally:
        engine.dispose()
    assert _keys(url) == [("new", True), ("old", True)]
    _insert_key(url, "web-only", ["web"])
    with pytest.raises(RuntimeError, match="limited to datasets"):
        migrate.downgrade(url, BEFORE)
    assert migrate.current(url) == AFTER
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE api_keys SET revoked_at = created_at"))
    finally:
        engine.dispose()
    migrate.downgrade(url, BEFORE)  # revoked keys do not hold it back
    assert migrate.current(url) == BEFORE
