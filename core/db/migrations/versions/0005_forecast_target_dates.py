"""Forecast targets: every stored forecast point in a row of its own, indexed by its date.

Monitoring scores one day from the points that target it; until now those dates lived only
inside each forecast's JSON payload, so every forecast was read to find them. The points of
the forecasts already stored are copied in (backfill); the payloads stay as they are.

Revision ID: 0005_forecast_target_dates
Revises: 0004_batch_forecasts
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_forecast_target_dates"
down_revision: str | None = "0004_batch_forecasts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types are spelled out here, not imported from the models, so this revision stays frozen.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_FLOAT = sa.Float(precision=53)
_STAMP = sa.DateTime(timezone=True)
_BACKFILL_FORECASTS = 2000  # forecasts read (by id) per backfill batch

_forecasts = sa.table("forecasts", sa.column("id", BIG_ID), sa.column("payload", JSON_DOCUMENT))
_targets = sa.table(
    "forecast_targets",
    sa.column("forecast_id", BIG_ID),
    sa.column("step", sa.Integer()),
    sa.column("ds", _STAMP),
    sa.column("origin", _STAMP),
    sa.column("yhat", _FLOAT),
    sa.column("lo", JSON_DOCUMENT),
    sa.column("hi", JSON_DOCUMENT),
)


def upgrade() -> None:
    op.create_table(
        "forecast_targets",
        sa.Column("forecast_id", BIG_ID, nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("ds", _STAMP, nullable=False),
        sa.Column("origin", _STAMP, nullable=False),
        sa.Column("yhat", _FLOAT, nullable=False),
        sa.Column("lo", JSON_DOCUMENT, nullable=False),
        sa.Column("hi", JSON_DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["forecast_id"],
            ["forecasts.id"],
            name=op.f("fk_forecast_targets_forecast_id_forecasts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("forecast_id", "step", name=op.f("pk_forecast_targets")),
    )
    _backfill(op.get_bind())
    op.create_index("ix_forecast_targets_ds", "forecast_targets", ["ds"])


def _moment(text: str, dialect: str) -> datetime:
    """A payload's ISO date as the column stores it: UTC (naive ones are UTC already), and
    without a zone on SQLite, as `core.db.types.UTCDateTime` writes it."""
    moment = datetime.fromisoformat(text)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(tzinfo=None) if dialect == "sqlite" else moment


def _backfill(connection: sa.Connection) -> None:
    """The points of every stored forecast, a batch of forecasts at a time (by id)."""
    dialect = connection.dialect.name
    last_id = None
    while True:
        query = sa.select(_forecasts.c.id, _forecasts.c.payload).order_by(_forecasts.c.id)
        if last_id is not None:
            query = query.where(_forecasts.c.id > last_id)
        batch = connection.execute(query.limit(_BACKFILL_FORECASTS)).all()
        if not batch:
            return
        rows = []
        for forecast_id, payload in batch:
            if not payload:
                continue
            origin = _moment(payload[0]["ds"], dialect)
            rows += [
                {
                    "forecast_id": forecast_id,
                    "step": step,
                    "ds": _moment(point["ds"], dialect),
                    "origin": origin,
                    "yhat": float(point["yhat"]),
                    "lo": dict(point.get("lo") or {}),
                    "hi": dict(point.get("hi") or {}),
                }
                for step, point in enumerate(payload)
            ]
        if rows:
            connection.execute(sa.insert(_targets), rows)
        last_id = batch[-1][0]


def downgrade() -> None:
    op.drop_index("ix_forecast_targets_ds", table_name="forecast_targets")
    op.drop_table("forecast_targets")
