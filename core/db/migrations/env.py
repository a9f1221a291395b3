"""Alembic environment: runs revisions on the connection or URL `core.db.migrate` hands over."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, event, text

from core.db.engine import make_engine
from core.db.tables import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.attributes["url"])
    if engine.dialect.name == "sqlite":
        _without_cascades(engine)
    try:
        with engine.connect() as new_connection:
            _run(new_connection)
            if new_connection.dialect.name == "sqlite":
                _check_foreign_keys(new_connection)
    finally:
        engine.dispose()


def _without_cascades(engine: Engine) -> None:
    """Foreign keys off while migrating SQLite: batch mode rebuilds a table by copying it and
    dropping the old one, and that DROP would cascade into every child row (observations of
    a rebuilt `series`). Checked once the migration is done."""

    def foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    event.listen(engine, "connect", foreign_keys_off)


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.execute(text("PRAGMA foreign_key_check")).all()
    if broken:
        raise RuntimeError(f"the migration left rows with broken foreign keys: {broken[:10]}")


if context.is_offline_mode():
    raise RuntimeError("Quantis migrations run online only: use core.db.migrate.upgrade(url)")
run_migrations_online()
