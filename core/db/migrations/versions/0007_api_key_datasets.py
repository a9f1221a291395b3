"""API keys limited to datasets: `api_keys.datasets`, the names of the datasets a key may see
(NULL: every dataset, as every key before this revision).

Revision ID: 0007_api_key_datasets
Revises: 0006_datasets
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_api_key_datasets"
down_revision: str | None = "0006_datasets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here, not imported, so this revision stays frozen.
JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("datasets", JSON_DOCUMENT, nullable=True))


def downgrade() -> None:
    connection = op.get_bind()
    limited = connection.execute(
        sa.text("SELECT COUNT(*) FROM api_keys WHERE datasets IS NOT NULL AND revoked_at IS NULL")
    ).scalar_one()
    if limited:
        raise RuntimeError(
            f"cannot downgrade below 0007_api_key_datasets while {limited} live API key(s) are "
            "limited to datasets: they would see every dataset; revoke them first"
        )
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("datasets")
