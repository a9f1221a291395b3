"""Batch forecasts: a forecast's kind (request | batch) and its data cut-off.

Revision ID: 0004_batch_forecasts
Revises: 0003_live_accuracy
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_batch_forecasts"
down_revision: str | None = "0003_live_accuracy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("forecasts") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="request")
        )
        batch.add_column(sa.Column("data_cutoff", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint("kind", "kind IN ('request', 'batch')")
    op.create_index(
        "ix_forecasts_series_kind_created", "forecasts", ["series_id", "kind", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_forecasts_series_kind_created", table_name="forecasts")
    with op.batch_alter_table("forecasts") as batch:
        batch.drop_constraint("kind", type_="check")
        batch.drop_column("data_cutoff")
        batch.drop_column("kind")
