"""The backup manifest: what a backup holds, with sizes, checksums and table fingerprints.

It is the last object written, so its presence is what makes a backup complete. Keys of a
backup's files are relative to the backup's prefix `backups/<YYYY-MM-DD>/<backup_id>/`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "BACKUPS_PREFIX",
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "DatabaseEntry",
    "FileEntry",
    "FolderEntry",
    "Manifest",
    "TableFingerprint",
    "backup_id_for",
    "backup_prefix",
    "sha256_bytes",
    "sha256_file",
]

BACKUPS_PREFIX = "backups"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
_ID_PATTERN = re.compile(r"^(\d{4})(\d{2})(\d{2})T\d{6}Z-[0-9a-f]{6}$")
_CHUNK = 1 << 20


def backup_id_for(moment: datetime, token: str) -> str:
    """`20261127T174800Z-1a2b3c`: sortable by time, unique by the token."""
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}-{token}"


def backup_prefix(backup_id: str) -> str:
    """The dated prefix `backups/2026-11-27/<backup_id>` of a backup's objects."""
    match = _ID_PATTERN.match(backup_id)
    if match is None:
        raise ValueError(
            f"backup id {backup_id!r} is malformed; expected e.g. 20261127T174800Z-1a2b3c"
        )
    year, month, day = match.groups()
    return f"{BACKUPS_PREFIX}/{year}-{month}-{day}/{backup_id}"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class TableFingerprint:
    """Row count and a checksum over every row in key order (see `core.backup.fingerprints`)."""

    rows: int
    checksum: str


@dataclass(frozen=True)
class FileEntry:
    key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class DatabaseEntry:
    """One database dump: `kind` is `postgresql` (pg_dump -Fc) or `sqlite` (a gzipped database file)."""

    name: str
    kind: str
    key: str
    source: str
    server_version: str
    tool_version: str
    tables: dict[str, TableFingerprint]
    # {dataset: {table: rows}} of the operational database (`core.backup.dataset_counts`);
    # empty for other databases and for backups taken before datasets.
    datasets: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class FolderEntry:
    """A copied folder or S3 prefix (MLflow artifacts); its files live under `key_prefix`/."""

    name: str
    source: str
    key_prefix: str
    files: int


@dataclass(frozen=True)
class Manifest:
    backup_id: str
    started_at: datetime
    finished_at: datetime
    databases: list[DatabaseEntry]
    folders: list[FolderEntry]
    files: list[FileEntry]
    versions: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    format: int = MANIFEST_FORMAT

    @property
    def total_bytes(self) -> int:
        return sum(entry.size for entry in self.files)

    def database(self, name: str) -> DatabaseEntry | None:
        return next((entry for entry in self.databases if entry.name == name), None)

    def folder(self, name: str) -> FolderEntry | None:
        return next((entry for entry in self.folders if entry.name == name), None)

    def file(self, key: str) -> FileEntry:
        for entry in self.files:
            if entry.key == key:
                return entry
        raise KeyError(f"backup {self.backup_id} lists no file {key!r}")

    def to_json(self) -> bytes:
        document = asdict(self)
        document["started_at"] = self.started_at.isoformat()
        document["finished_at"] = self.finished_at.isoformat()
        return json.dumps(document, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        document: dict[str, Any] = json.loads(data)
        if document.get("format") != MANIFEST_FORMAT:
            raise ValueError(
                f"manifest format {document.get('format')!r} is not {MANIFEST_FORMAT}; "
                "restore it with the Quantis release that wrote it"
            )
        databases = [
            DatabaseEntry(
                **{k: v for k, v in entry.items() if k != "tables"},
                tables={name: TableFingerprint(**t) for name, t in entry["tables"].items()},
            )
            for entry in document["databases"]
        ]
        return cls(
            backup_id=document["backup_id"],
            started_at=datetime.fromisoformat(document["started_at"]),
            finished_at=datetime.fromisoformat(document["finished_at"]),
            databases=databases,
            folders=[FolderEntry(**entry) for entry in document["folders"]],
            files=[FileEntry(**entry) for entry in document["files"]],
            versions=dict(document.get("versions", {})),
            skipped=dict(document.get("skipped", {})),
            format=document["format"],
        )
