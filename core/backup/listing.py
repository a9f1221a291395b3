"""Find backups in the store: complete ones have a manifest, incomplete ones do not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.backup.errors import BackupNotFoundError, IncompleteBackupError
from core.backup.manifest import BACKUPS_PREFIX, MANIFEST_NAME, Manifest, backup_prefix
from core.storage import ObjectNotFoundError, ObjectStore

__all__ = [
    "LATEST",
    "BackupListing",
    "latest_complete_backup",
    "list_backups",
    "load_manifest",
    "resolve_backup_id",
]

LATEST = "latest"


@dataclass(frozen=True)
class BackupListing:
    """One backup prefix; `manifest` is None while (or because) it is incomplete."""

    backup_id: str
    prefix: str
    manifest: Manifest | None
    objects: int

    @property
    def complete(self) -> bool:
        return self.manifest is not None

    @property
    def taken_at(self) -> datetime | None:
        return self.manifest.started_at if self.manifest else None


def list_backups(store: ObjectStore) -> list[BackupListing]:
    """Every backup in the store, newest first (backup ids sort by time)."""
    counts: dict[str, int] = {}
    for key in store.list(f"{BACKUPS_PREFIX}/"):
        parts = key.split("/")
        if len(parts) >= 4:
            counts[parts[2]] = counts.get(parts[2], 0) + 1
    listings = []
    for backup_id in sorted(counts, reverse=True):
        try:
            prefix = backup_prefix(backup_id)
        except ValueError:
            continue  # not ours: a folder someone else put under backups/
        manifest = _manifest_or_none(store, prefix)
        listings.append(BackupListing(backup_id, prefix, manifest, counts[backup_id]))
    return listings


def _manifest_or_none(store: ObjectStore, prefix: str) -> Manifest | None:
    try:
        return Manifest.from_json(store.get_bytes(f"{prefix}/{MANIFEST_NAME}"))
    except ObjectNotFoundError:
        return None


def load_manifest(store: ObjectStore, backup_id: str) -> Manifest:
    """The manifest of `backup_id`; raises if the backup is absent or incomplete."""
    prefix = backup_prefix(backup_id)
    manifest = _manifest_or_none(store, prefix)
    if manifest is not None:
        return manifest
    if store.list(f"{prefix}/"):
        raise IncompleteBackupError(
            f"backup {backup_id} has no {MANIFEST_NAME}: it was interrupted before it finished "
            "and cannot be restored"
        )
    raise BackupNotFoundError(f"no backup {backup_id} in {store.uri(prefix)}")


def latest_complete_backup(store: ObjectStore) -> Manifest:
    for listing in list_backups(store):
        if listing.manifest is not None:
            return listing.manifest
    raise BackupNotFoundError(f"no complete backup in {store.uri(BACKUPS_PREFIX)}")


def resolve_backup_id(store: ObjectStore, backup_id: str) -> str:
    """`backup_id` itself, or the newest complete backup's id for `latest`."""
    return latest_complete_backup(store).backup_id if backup_id == LATEST else backup_id
