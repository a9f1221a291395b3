"""Audit log: append who did what, list newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.repositories.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from core.db.tables import AuditEntry
from core.db.types import as_utc

__all__ = ["append_audit", "list_audit"]


def append_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor=actor,
        action=action,
        target=target,
        details=dict(details or {}),
        request_id=request_id,
    )
    session.add(entry)
    session.flush()
    return entry


def list_audit(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    offset: int = 0,
) -> Page[AuditEntry]:
    """Entries newest first, filtered by actor, action and a start time (inclusive)."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.at >= as_utc(since))
    return paginate(session, query, limit, offset)
