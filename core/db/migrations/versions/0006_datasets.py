"""Datasets: a `datasets` table, every series in one dataset (names unique per dataset),
quarantined rows by dataset. An existing database gets a `default` dataset holding all its
series and quarantined rows.

Revision ID: 0006_datasets
Revises: 0005_forecast_target_dates
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision: str = "0006_datasets"
down_revision: str | None = "0005_forecast_target_dates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types and the default configuration are spelled out here, not imported, so this revision
# stays frozen. `core.db.migrate.upgrade(..., default_dataset=...)` hands over the
# configuration the settings describe (`core.datasets.default_dataset_config`).
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
DEFAULT_NAME = "default"
DEFAULT_CONFIG: dict[str, Any] = {
    "season_length": None,
    "horizon": 14,
    "levels": [80.0, 95.0],
    "max_bad_row_share": 0.05,
    "min_history": 0,
    "value_min": None,
    "value_max": None,
    "retrain_new_data_share": 0.1,
    "model_overrides": {},
    "batch_forecasts_after_rollout": True,
}

_datasets = sa.table(
    "datasets",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("frequency", sa.String()),
    sa.column("config", JSON_DOCUMENT),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def _default_dataset() -> tuple[str | None, dict[str, Any]]:
    """The default dataset's frequency (None unless one was given) and configuration."""
    given = context.config.attributes.get("default_dataset") if context.config else None
    if not given:
        return None, dict(DEFAULT_CONFIG)
    return given.get("frequency"), {**DEFAULT_CONFIG, **given.get("config", {})}


def _shared_frequency(connection: sa.Connection) -> str | None:
    """The frequency every existing series has, if they all have the same one."""
    found = connection.execute(sa.text("SELECT DISTINCT frequency FROM series")).scalars().all()
    return found[0] if len(found) == 1 else None


def _create_default_dataset() -> int:
    connection = op.get_bind()
    frequency, config = _default_dataset()
    frequency = frequency or _shared_frequency(connection)
    now = datetime.now(UTC)
    stored = now.replace(tzinfo=None) if connection.dialect.name == "sqlite" else now
    connection.execute(
        sa.insert(_datasets).values(
            name=DEFAULT_NAME,
            frequency=frequency,
            config=config,
            created_at=stored,
            updated_at=stored,
        )
    )
    query = sa.select(_datasets.c.id).where(_datasets.c.name == DEFAULT_NAME)
    return connection.execute(query).scalar_one()


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("frequency", sa.String(length=32), nullable=True),
        sa.Column("config", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("name", name=op.f("uq_datasets_name")),
    )
    default_id = _create_default_dataset()
    with op.batch_alter_table("series") as batch:
        batch.add_column(sa.Column("dataset_id", sa.Integer(), nullable=True))
    op.execute(sa.text(f"UPDATE series SET dataset_id = {int(default_id)}"))
    with op.batch_alter_table("series") as batch:
        batch.alter_column("dataset_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint(op.f("uq_series_name"), type_="unique")
        batch.create_unique_constraint(op.f("uq_series_dataset_id_name"), ["dataset_id", "name"])
        batch.create_foreign_key(
            op.f("fk_series_dataset_id_datasets"),
            "datasets",
            ["dataset_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(sa.Column("dataset_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_quarantine_dataset_id_datasets"),
            "datasets",
            ["dataset_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.execute(sa.text(f"UPDATE quarantine SET dataset_id = {int(default_id)}"))
    op.create_index(op.f("ix_quarantine_dataset_id"), "quarantine", ["dataset_id"])


def downgrade() -> None:
    connection = op.get_bind()
    others = (
        connection.execute(sa.select(_datasets.c.name).where(_datasets.c.name != DEFAULT_NAME))
        .scalars()
        .all()
    )
    if others:
        raise RuntimeError(
            f"cannot downgrade below 0006_datasets while datasets other than {DEFAULT_NAME!r} "
            f"exist ({sorted(others)}): their series would collide or be lost; delete them first"
        )
    op.drop_index(op.f("ix_quarantine_dataset_id"), table_name="quarantine")
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_constraint(op.f("fk_quarantine_dataset_id_datasets"), type_="foreignkey")
        batch.drop_column("dataset_id")
    with op.batch_alter_table("series") as batch:
        batch.drop_constraint(op.f("fk_series_dataset_id_datasets"), type_="foreignkey")
        batch.drop_constraint(op.f("uq_series_dataset_id_name"), type_="unique")
        batch.create_unique_constraint(op.f("uq_series_name"), ["name"])
        batch.drop_column("dataset_id")
    op.drop_table("datasets")
