"""The object store interface every backend implements, and key validation."""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO

__all__ = ["ObjectNotFoundError", "ObjectStore", "check_key"]


class ObjectNotFoundError(FileNotFoundError):
    """No object under that key."""


def check_key(key: str) -> str:
    """The key itself if it is a clean relative path, else a `ValueError` saying why."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"object key must be a non-empty string, got {key!r}")
    if key.startswith("/") or key.endswith("/") or "\\" in key:
        raise ValueError(f"object key {key!r} must be a relative path without '\\' or end '/'")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"object key {key!r} must not hold empty, '.' or '..' parts")
    return key


class ObjectStore(ABC):
    """Bytes under string keys; writes replace whole objects."""

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, replacing any object there; readers never see half."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """The object's bytes; `ObjectNotFoundError` if absent."""

    @abstractmethod
    def put_file(self, key: str, path: Path) -> None:
        """Upload a local file (streamed, so large backups fit)."""

    @abstractmethod
    def get_file(self, key: str, path: Path) -> None:
        """Download to a local file, creating its folder."""

    @abstractmethod
    def open_for_reading(self, key: str) -> AbstractContextManager[IO[bytes]]:
        """The object as a seekable binary file, read as it is used: a large object is never
        held in memory whole (a local file as it is, an S3 object streamed to a temporary
        file that is removed on close). `ObjectNotFoundError` if absent."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Sorted keys starting with `prefix` (a plain string prefix, not only folders)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; deleting an absent key is not an error."""

    @abstractmethod
    def uri(self, key: str) -> str:
        """A URL naming the object (`file:///...` or `s3://bucket/...`)."""
