"""Object storage behind one small interface: a local folder or an S3 prefix, chosen by URL.

    store = open_object_store(settings.object_store_url,
                              s3_endpoint_url=settings.s3_endpoint_url)
    store.put_bytes("snapshots/panel.parquet", data)

Keys are `/`-separated relative paths (no leading `/`, no `.` or `..` parts).
"""

from __future__ import annotations

from core.storage.base import ObjectNotFoundError, ObjectStore, check_key
from core.storage.factory import open_object_store

__all__ = ["ObjectNotFoundError", "ObjectStore", "check_key", "open_object_store"]
