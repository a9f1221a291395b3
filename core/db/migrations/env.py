"""Alembic environment: runs revisions on the connection or URL `core.db.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

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
    try:
        with engine.connect() as new_connection:
            _run(new_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("Quantis migrations run online only: use core.db.migrate.upgrade(url)")
run_migrations_online()
