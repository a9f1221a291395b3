"""Retention: keep the newest backup of each of the last N days, M weeks and K months.

Only complete backups (with a manifest) count and only they are deleted; incomplete ones
are left alone (one may still be running). The newest complete backup is always kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from core.backup.listing import list_backups
from core.backup.manifest import MANIFEST_NAME
from core.db.engine import make_engine, session_scope
from core.db.errors import RecordNotFoundError
from core.db.repositories import backups as catalog_rows
from core.storage import ObjectStore

__all__ = ["RetentionOutcome", "RetentionPolicy", "apply_retention", "select_backups_to_keep"]


@dataclass(frozen=True)
class RetentionPolicy:
    daily: int
    weekly: int
    monthly: int

    def __post_init__(self) -> None:
        for name in ("daily", "weekly", "monthly"):
            if getattr(self, name) < 0:
                raise ValueError(f"retention {name} must be >= 0, got {getattr(self, name)}")


@dataclass(frozen=True)
class RetentionOutcome:
    kept: list[str]
    deleted: list[str]
    incomplete: list[str]


_BUCKETS: tuple[tuple[str, Callable[[datetime], tuple[int, ...]]], ...] = (
    ("daily", lambda moment: (moment.year, moment.month, moment.day)),
    ("weekly", lambda moment: tuple(moment.isocalendar()[:2])),
    ("monthly", lambda moment: (moment.year, moment.month)),
)


def select_backups_to_keep(
    backups: Sequence[tuple[str, datetime]], policy: RetentionPolicy
) -> set[str]:
    """Ids to keep of `(backup_id, taken_at)` pairs: per period, the newest backup in it."""
    newest_first = sorted(backups, key=lambda pair: pair[1], reverse=True)
    keep = {newest_first[0][0]} if newest_first else set()
    for name, bucket_of in _BUCKETS:
        limit, seen = getattr(policy, name), set()
        for backup_id, taken_at in newest_first:
            if len(seen) >= limit:
                break
            bucket = bucket_of(taken_at)
            if bucket not in seen:
                seen.add(bucket)
                keep.add(backup_id)
    return keep


def _delete_catalog_row(session: Session, backup_id: str) -> None:
    # A backup taken elsewhere may not be in this catalog.
    with suppress(RecordNotFoundError):
        catalog_rows.delete_backup(session, backup_id)


def apply_retention(
    store: ObjectStore, policy: RetentionPolicy, *, catalog_url: str | None = None
) -> RetentionOutcome:
    """Delete the complete backups the policy does not keep, manifest first.

    Deleting the manifest first means a deletion cut short leaves an incomplete backup,
    which restore refuses, never a complete-looking one with files missing.
    """
    listings = list_backups(store)
    complete = [(b.backup_id, b.taken_at) for b in listings if b.manifest is not None]
    keep = select_backups_to_keep(complete, policy)
    doomed = [b for b in listings if b.manifest is not None and b.backup_id not in keep]
    for listing in doomed:
        store.delete(f"{listing.prefix}/{MANIFEST_NAME}")
        for key in store.list(f"{listing.prefix}/"):
            store.delete(key)
    if catalog_url and doomed:
        engine = make_engine(catalog_url)
        try:
            with session_scope(engine) as session:
                for listing in doomed:
                    _delete_catalog_row(session, listing.backup_id)
        finally:
            engine.dispose()
    return RetentionOutcome(
        kept=sorted(keep, reverse=True),
        deleted=[b.backup_id for b in doomed],
        incomplete=[b.backup_id for b in listings if b.manifest is None],
    )
