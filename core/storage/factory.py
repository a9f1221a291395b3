"""Pick the object store implementation from a URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from core.storage.base import ObjectStore
from core.storage.local import LocalObjectStore
from core.storage.s3 import S3ObjectStore

__all__ = ["open_object_store"]


def open_object_store(
    url: str, *, s3_endpoint_url: str | None = None, s3_client: Any = None
) -> ObjectStore:
    """`file:///folder` or a plain folder path gives a local store; `s3://bucket/prefix` S3.

    `s3_endpoint_url` (the `s3_endpoint_url` setting) points S3 at MinIO or moto.
    """
    parts = urlsplit(url)
    if parts.scheme in ("", "file"):
        path = unquote(parts.path) if parts.scheme else url
        if not path:
            raise ValueError(f"object store URL {url!r} names no folder")
        return LocalObjectStore(Path(path))
    if parts.scheme == "s3":
        return S3ObjectStore(
            parts.netloc, unquote(parts.path), endpoint_url=s3_endpoint_url, client=s3_client
        )
    raise ValueError(f"object store URL {url!r}: scheme must be file:// or s3://")
