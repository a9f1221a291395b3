"""Live accuracy per model version, series and day; drift and staleness per series and day.

Revision ID: 0003_live_accuracy
Revises: 0002_landing_files
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_live_accuracy"
down_revision: str | None = "0002_landing_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types are spelled out here, not imported from the models, so this revision stays frozen.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_FLOAT = sa.Float(precision=53)


def _series_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["series_id"], ["series.id"], name=op.f(f"fk_{table}_series_id_series"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "live_accuracy",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("partition_day", sa.Date(), nullable=False),
        sa.Column("model_name", sa.String(length=255), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("mase", _FLOAT, nullable=True),
        sa.Column("smape", _FLOAT, nullable=False),
        sa.Column("bias", _FLOAT, nullable=False),
        sa.Column("mae", _FLOAT, nullable=False),
        sa.Column("coverage", JSON_DOCUMENT, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("points >= 1", name=op.f("ck_live_accuracy_points_positive")),
        _series_fk("live_accuracy"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_accuracy")),
        sa.UniqueConstraint(
            "partition_day",
            "model_name",
            "model_version",
            "series_id",
            name="uq_live_accuracy_partition_version_series",
        ),
    )
    op.create_index("ix_live_accuracy_partition_day", "live_accuracy", ["partition_day"])
    op.create_index(op.f("ix_live_accuracy_model_version"), "live_accuracy", ["model_version"])
    op.create_index(op.f("ix_live_accuracy_series_id"), "live_accuracy", ["series_id"])
    op.create_table(
        "series_drift",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("partition_day", sa.Date(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.Column("level_shift", _FLOAT, nullable=True),
        sa.Column("spread_ratio", _FLOAT, nullable=True),
        sa.Column("drifted", sa.Boolean(), nullable=False),
        sa.Column("last_observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("periods_since_last", sa.Integer(), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        _series_fk("series_drift"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_drift")),
        sa.UniqueConstraint("partition_day", "series_id", name="uq_series_drift_partition_series"),
    )
    op.create_index(op.f("ix_series_drift_partition_day"), "series_drift", ["partition_day"])
    op.create_index(op.f("ix_series_drift_series_id"), "series_drift", ["series_id"])


def downgrade() -> None:
    op.drop_table("series_drift")
    op.drop_table("live_accuracy")
