"""Covariates: `static_covariates` (a value per series and covariate) and `covariate_values`
(a value per series, timestamp and covariate; future timestamps too). A number (booleans as
0/1) or a category, never both. Existing databases get the two empty tables.

Revision ID: 0008_covariates
Revises: 0007_api_key_datasets
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_covariates"
down_revision: str | None = "0007_api_key_datasets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_VALUE = "(value IS NULL) <> (category IS NULL)"


def _moment(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _value_columns(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("value", sa.Float(precision=53), nullable=True),
        sa.Column("category", sa.String(length=255), nullable=True),
        _moment("updated_at"),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
            name=op.f(f"fk_{table}_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(ONE_VALUE, name=op.f(f"ck_{table}_one_value")),
    ]


def upgrade() -> None:
    op.create_table(
        "static_covariates",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        *_value_columns("static_covariates"),
        sa.PrimaryKeyConstraint("series_id", "name", name=op.f("pk_static_covariates")),
    )
    op.create_table(
        "covariate_values",
        sa.Column("series_id", sa.Integer(), nullable=False),
        _moment("ts"),
        sa.Column("name", sa.String(length=63), nullable=False),
        *_value_columns("covariate_values"),
        sa.PrimaryKeyConstraint("series_id", "ts", "name", name=op.f("pk_covariate_values")),
    )


def downgrade() -> None:
    op.drop_table("covariate_values")
    op.drop_table("static_covariates")
