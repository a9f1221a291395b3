"""Covariate values for every series of a dataset at once (`dataset_covariate_values`: a value
per dataset, timestamp and covariate, future timestamps too; a series' own value in
`covariate_values` wins over it), and stored what-if `scenarios` (a named change of
known-in-advance covariates for chosen series and dates, with its latest run). Existing
databases get the two empty tables.

Revision ID: 0009_shared_values_scenarios
Revises: 0008_covariates
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_shared_values_scenarios"
down_revision: str | None = "0008_covariates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
NULLABLE_JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


def _moment(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _dataset_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["dataset_id"], ["datasets.id"], name=op.f(f"fk_{table}_dataset_id_datasets"),
        ondelete="CASCADE",
    )  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "dataset_covariate_values",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        _moment("ts"),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=True),
        sa.Column("category", sa.String(length=255), nullable=True),
        _moment("updated_at"),
        _dataset_key("dataset_covariate_values"),
        sa.CheckConstraint(
            "(value IS NULL) <> (category IS NULL)",
            name=op.f("ck_dataset_covariate_values_one_value"),
        ),
        sa.PrimaryKeyConstraint(
            "dataset_id", "ts", "name", name=op.f("pk_dataset_covariate_values")
        ),
    )
    op.create_table(
        "scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("spec", JSON_DOCUMENT, nullable=False),
        sa.Column("last_run", NULLABLE_JSON_DOCUMENT, nullable=True),
        _moment("created_at"),
        _moment("updated_at"),
        _moment("last_run_at", nullable=True),
        _dataset_key("scenarios"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenarios")),
        sa.UniqueConstraint("dataset_id", "name", name=op.f("uq_scenarios_dataset_id_name")),
    )


def downgrade() -> None:
    op.drop_table("scenarios")
    op.drop_table("dataset_covariate_values")
