"""Quarantine: rows rejected by validation, kept as raw text with the reason they failed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from core.db.repositories.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from core.db.tables import QuarantinedRow

__all__ = [
    "RejectedRow",
    "count_quarantined",
    "list_quarantined",
    "quarantine_frame",
    "quarantine_rows",
]


@dataclass(frozen=True)
class RejectedRow:
    """One rejected input row; raw fields are text exactly as received (None if absent)."""

    source: str
    reason: str
    series_name: str | None = None
    ts_raw: str | None = None
    value_raw: str | None = None
    expectation: str | None = None
    run_id: str | None = None
    dataset_id: int | None = None  # None: of no dataset (a file outside every dataset's prefix)


def quarantine_rows(session: Session, rows: Iterable[RejectedRow]) -> int:
    """Store rejected rows; returns how many were stored."""
    documents = [asdict(row) for row in rows]
    for index, document in enumerate(documents):
        if not document["source"] or not document["reason"]:
            raise ValueError(f"rejected row {index} needs a source and a reason: {document}")
    if documents:
        session.execute(insert(QuarantinedRow), documents)
    return len(documents)


def _raw(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def quarantine_frame(
    session: Session,
    frame: pd.DataFrame,
    *,
    source: str,
    run_id: str | None = None,
    reason_column: str = "reason",
    expectation_column: str = "expectation",
    dataset_id: int | None = None,
) -> int:
    """Store every row of a long-format frame of bad rows (`unique_id`, `ds`, `y`, `reason`).

    Absent `unique_id`/`ds`/`y` columns store None; the reason column is required.
    """
    if reason_column not in frame.columns:
        raise ValueError(f"frame of rejected rows lacks the {reason_column!r} column")

    def column(name: str) -> list[Any]:
        return frame[name].tolist() if name in frame.columns else [None] * len(frame)

    rows = (
        RejectedRow(
            source=source,
            reason=str(reason),
            series_name=_raw(series),
            ts_raw=_raw(ts),
            value_raw=_raw(value),
            expectation=_raw(expectation),
            run_id=run_id,
            dataset_id=dataset_id,
        )
        for series, ts, value, reason, expectation in zip(
            column("unique_id"),
            column("ds"),
            column("y"),
            column(reason_column),
            column(expectation_column),
            strict=True,
        )
    )
    return quarantine_rows(session, rows)


def _filtered(query: Any, run_id: str | None, source: str | None) -> Any:
    if run_id is not None:
        query = query.where(QuarantinedRow.run_id == run_id)
    if source is not None:
        query = query.where(QuarantinedRow.source == source)
    return query


def count_quarantined(
    session: Session, run_id: str | None = None, source: str | None = None
) -> int:
    query = _filtered(select(func.count()).select_from(QuarantinedRow), run_id, source)
    return session.scalar(query) or 0


def list_quarantined(
    session: Session,
    run_id: str | None = None,
    source: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    offset: int = 0,
) -> Page[QuarantinedRow]:
    """Rejected rows in the order they were stored."""
    query = _filtered(select(QuarantinedRow).order_by(QuarantinedRow.id), run_id, source)
    return paginate(session, query, limit, offset)
