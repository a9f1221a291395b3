"""Check a backup against its manifest: every file present, with its size and sha256."""

from __future__ import annotations

import tempfile
from pathlib import Path

from core.backup.errors import VerificationError
from core.backup.listing import load_manifest
from core.backup.manifest import Manifest, backup_prefix, sha256_file
from core.storage import ObjectNotFoundError, ObjectStore

__all__ = ["fetch_verified", "verify_backup"]


def fetch_verified(store: ObjectStore, manifest: Manifest, key: str, destination: Path) -> Path:
    """Download one file of the backup and check it; the error names the file at fault."""
    entry = manifest.file(key)
    where = f"backup {manifest.backup_id}: file {key}"
    try:
        store.get_file(f"{backup_prefix(manifest.backup_id)}/{key}", destination)
    except ObjectNotFoundError as error:
        raise VerificationError(f"{where} is missing from the store") from error
    size = destination.stat().st_size
    if size != entry.size:
        raise VerificationError(f"{where} has {size} bytes, the manifest says {entry.size}")
    digest = sha256_file(destination)
    if digest != entry.sha256:
        raise VerificationError(
            f"{where} is corrupt: sha256 {digest} does not match the manifest's {entry.sha256}"
        )
    return destination


def verify_backup(store: ObjectStore, backup_id: str, scratch_dir: Path | None = None) -> Manifest:
    """The backup's manifest after every file was downloaded and checked, or an error."""
    manifest = load_manifest(store, backup_id)
    with tempfile.TemporaryDirectory(dir=scratch_dir, prefix="quantis-verify-") as work:
        local = Path(work) / "file"
        for entry in manifest.files:
            fetch_verified(store, manifest, entry.key, local)
            local.unlink()
    return manifest
