"""Object store under an S3 prefix (AWS, or MinIO/moto through a custom endpoint)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import boto3
from botocore.exceptions import ClientError

from core.storage.base import ObjectNotFoundError, ObjectStore, check_key

__all__ = ["S3ObjectStore"]

_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


class S3ObjectStore(ObjectStore):
    def __init__(
        self, bucket: str, prefix: str = "", endpoint_url: str | None = None, client: Any = None
    ) -> None:
        if not bucket:
            raise ValueError("S3 object store needs a bucket: s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url or None)

    def __repr__(self) -> str:
        return f"S3ObjectStore(s3://{self.bucket}/{self.prefix})"

    def _object_key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _missing(self, key: str) -> ObjectNotFoundError:
        return ObjectNotFoundError(f"no object {key!r} in {self.uri(key)}")

    def put_bytes(self, key: str, data: bytes) -> None:
        # A single PUT is atomic in S3: readers see the old object or the new one.
        self.client.put_object(Bucket=self.bucket, Key=self._object_key(key), Body=data)

    def get_bytes(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING_CODES:
                raise self._missing(key) from error
            raise
        return answer["Body"].read()

    @contextmanager
    def open_for_reading(self, key: str) -> Iterator[IO[bytes]]:
        # Parquet readers seek, an S3 body does not: stream it to a temporary file (on
        # TMPDIR, the step's scratch folder in a pipeline step), gone when closed.
        with tempfile.TemporaryFile(prefix="s3-object-") as handle:
            try:
                self.client.download_fileobj(self.bucket, self._object_key(key), handle)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in _MISSING_CODES:
                    raise self._missing(key) from error
                raise
            handle.seek(0)
            yield handle

    def put_file(self, key: str, path: Path) -> None:
        self.client.upload_file(str(path), self.bucket, self._object_key(key))

    def get_file(self, key: str, path: Path) -> None:
        if not self.exists(key):
            raise self._missing(key)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.client.download_file(self.bucket, self._object_key(key), str(path))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING_CODES:
                return False
            raise
        return True

    def list(self, prefix: str = "") -> list[str]:
        root = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_objects_v2")
        keys: list[str] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=root + prefix):
            keys.extend(item["Key"].removeprefix(root) for item in page.get("Contents", []))
        return sorted(keys)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._object_key(key)}"
