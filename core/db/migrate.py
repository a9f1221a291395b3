"""Run the operational database migrations from code; no alembic.ini needed.

`quantis db upgrade|current|downgrade` and the test fixtures call these. To add a
revision: `alembic.command.revision(alembic_config(url), message=..., autogenerate=True)`
against a database at head, then review the generated file in `migrations/versions/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from core.db.engine import make_engine, normalize_url

if TYPE_CHECKING:
    from core.datasets import DatasetConfig

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current",
    "downgrade",
    "head",
    "script_directory",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | URL) -> Config:
    """An Alembic config for `url`, built in code.

    The URL travels in `attributes`, not the ini options, because configparser would
    choke on `%` in an escaped password.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = normalize_url(url)
    return config


def upgrade(
    url: str | URL, revision: str = "head", default_dataset: DatasetConfig | None = None
) -> None:
    """Migrate the database at `url` up to `revision` (default: the newest).

    `default_dataset` is what the migration that brings datasets in (0006) gives the
    `default` dataset it creates (`core.datasets.default_dataset_config(settings)`); without
    it that dataset gets the code defaults. Later upgrades leave an existing one alone.
    """
    config = alembic_config(url)
    if default_dataset is not None:
        config.attributes["default_dataset"] = {
            "frequency": default_dataset.frequency,
            "config": default_dataset.settings_document(),
        }
    command.upgrade(config, revision)


def downgrade(url: str | URL, revision: str) -> None:
    """Migrate the database at `url` down to `revision` (`base` removes every table)."""
    command.downgrade(alembic_config(url), revision)


def current(url: str | URL) -> str | None:
    """The revision the database at `url` is at, or None when it was never migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def script_directory() -> ScriptDirectory:
    """The migration scripts (revisions) of the operational database."""
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def head() -> str:
    """The newest revision in the migrations folder."""
    revision = script_directory().get_current_head()
    if revision is None:
        raise RuntimeError(f"no migration revisions found in {MIGRATIONS_DIR / 'versions'}")
    return revision
