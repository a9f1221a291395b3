"""Initial schema: series, observations, forecasts, deployments, API keys, audit, backups,
quarantine.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types are spelled out here, not imported from the models, so this revision stays frozen.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIVE_ONLY = sa.text("status = 'active'")


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _moment(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("frequency", sa.String(length=32), nullable=True),
        sa.Column("metadata", _json(), nullable=False),
        _moment("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
        sa.UniqueConstraint("name", name=op.f("uq_series_name")),
    )
    op.create_table(
        "observations",
        sa.Column("series_id", sa.Integer(), nullable=False),
        _moment("ts"),
        sa.Column("value", sa.Float(precision=53), nullable=False),
        _moment("updated_at"),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
            name=op.f("fk_observations_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("series_id", "ts", name=op.f("pk_observations")),
    )
    op.create_index("ix_observations_ts", "observations", ["ts"])
    op.create_table(
        "forecasts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(length=255), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("levels", _json(), nullable=False),
        _moment("created_at"),
        sa.Column("payload", _json(), nullable=False),
        sa.CheckConstraint("horizon >= 1", name=op.f("ck_forecasts_horizon_positive")),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
            name=op.f("fk_forecasts_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecasts")),
    )
    op.create_index(op.f("ix_forecasts_created_at"), "forecasts", ["created_at"])
    op.create_index(op.f("ix_forecasts_request_id"), "forecasts", ["request_id"])
    op.create_index(op.f("ix_forecasts_series_id"), "forecasts", ["series_id"])
    op.create_table(
        "model_deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(length=255), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("endpoint_url", sa.String(length=1024), nullable=True),
        sa.Column("bento_tag", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        _moment("since"),
        _moment("activated_at", nullable=True),
        _moment("until", nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("details", _json(), nullable=False),
        sa.CheckConstraint(
            "status IN ('starting', 'active', 'retired', 'failed')",
            name=op.f("ck_model_deployments_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_deployments")),
    )
    # At most one active deployment per target, enforced by the database itself.
    op.create_index(
        "uq_model_deployments_active_target",
        "model_deployments",
        ["target"],
        unique=True,
        sqlite_where=ACTIVE_ONLY,
        postgresql_where=ACTIVE_ONLY,
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("hash", sa.String(length=128), nullable=False),
        sa.Column("scopes", _json(), nullable=False),
        _moment("created_at"),
        _moment("last_used_at", nullable=True),
        _moment("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", BIG_ID, nullable=False),
        _moment("at"),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=255), nullable=False),
        sa.Column("target", sa.String(length=1024), nullable=True),
        sa.Column("details", _json(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"])
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_table(
        "backup_catalog",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("backup_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(length=1024), nullable=False),
        _moment("started_at"),
        _moment("finished_at", nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=True),
        sa.Column("details", _json(), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')", name=op.f("ck_backup_catalog_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_catalog")),
        sa.UniqueConstraint("backup_id", name=op.f("uq_backup_catalog_backup_id")),
    )
    op.create_index(op.f("ix_backup_catalog_started_at"), "backup_catalog", ["started_at"])
    op.create_table(
        "quarantine",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("series_name", sa.String(length=255), nullable=True),
        sa.Column("ts_raw", sa.Text(), nullable=True),
        sa.Column("value_raw", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("expectation", sa.String(length=255), nullable=True),
        sa.Column("run_id", sa.String(length=255), nullable=True),
        _moment("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    op.create_index(op.f("ix_quarantine_run_id"), "quarantine", ["run_id"])


def downgrade() -> None:
    # Dependants first: observations and forecasts reference series.
    for table in (
        "quarantine",
        "backup_catalog",
        "audit_log",
        "api_keys",
        "model_deployments",
        "forecasts",
        "observations",
        "series",
    ):
        op.drop_table(table)
