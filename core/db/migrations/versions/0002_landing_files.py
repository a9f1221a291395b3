"""Landing files: which landing-area files were loaded or quarantined (incremental pickup).

Revision ID: 0002_landing_files
Revises: 0001_initial
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_landing_files"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "landing_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("run_id", sa.String(length=255), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('loaded', 'quarantined')", name=op.f("ck_landing_files_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landing_files")),
        sa.UniqueConstraint("key", "sha256", name="uq_landing_files_key_sha256"),
    )
    op.create_index(op.f("ix_landing_files_key"), "landing_files", ["key"])


def downgrade() -> None:
    op.drop_table("landing_files")
