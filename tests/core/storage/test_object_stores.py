"""The same behaviour from the local folder store and the S3 store (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from core.storage import ObjectNotFoundError, ObjectStore, open_object_store
from core.storage.local import LocalObjectStore
from core.storage.s3 import S3ObjectStore

BUCKET = "quantis-test"


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials so no test can ever reach a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield open_object_store(f"file://{tmp_path / 'objects'}")
        return
    request.getfixturevalue("aws_credentials")
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield open_object_store(f"s3://{BUCKET}/quantis/root")


def test_bytes_round_trip_and_overwrite(store):
    store.put_bytes("snapshots/panel.parquet", b"first")
    store.put_bytes("snapshots/panel.parquet", b"second")
    assert store.get_bytes("snapshots/panel.parquet") == b"second"
    assert store.exists("snapshots/panel.parquet")
    assert not store.exists("snapshots/other.parquet")


def test_missing_object_raises_not_found(store, tmp_path):
    with pytest.raises(ObjectNotFoundError, match=r"absent\.bin"):
        store.get_bytes("absent.bin")
    with pytest.raises(ObjectNotFoundError):
        store.get_file("absent.bin", tmp_path / "out.bin")


def test_open_for_reading_gives_a_seekable_file(store):
    data = bytes(range(256)) * 4_000
    store.put_bytes("landing/big.csv", data)
    with store.open_for_reading("landing/big.csv") as handle:
        assert handle.read(10) == data[:10]
        handle.seek(0)
        assert handle.read() == data
    with (
        pytest.raises(ObjectNotFoundError, match=r"absent\.csv"),
        store.open_for_reading("absent.csv"),
    ):
        pass


def test_files_round_trip(store, tmp_path):
    source = tmp_path / "backup.tar"
    source.write_bytes(b"x" * 100_000)
    store.put_file("backups/2024/backup.tar", source)
    target = tmp_path / "restore" / "nested" / "backup.tar"
    store.get_file("backups/2024/backup.tar", target)
    assert target.read_bytes() == source.read_bytes()


def test_list_by_prefix_and_delete(store):
    for key in ["a/1", "a/2", "ab/3", "b/4"]:
        store.put_bytes(key, key.encode())
    assert store.list() == ["a/1", "a/2", "ab/3", "b/4"]
    assert store.list("a/") == ["a/1", "a/2"]
    assert store.list("a") == ["a/1", "a/2", "ab/3"]
    store.delete("a/1")
    store.delete("a/1")
    assert store.list("a/") == ["a/2"]


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "./a", "dir/"])
def test_unsafe_keys_are_refused(store, key):
    with pytest.raises(ValueError, match="key"):
        store.put_bytes(key, b"data")


def test_uri_names_the_object(store):
    uri = store.uri("x/y.bin")
    assert uri.endswith("/x/y.bin")
    assert uri.startswith(("file:///", f"s3://{BUCKET}/quantis/root/"))


def test_local_write_leaves_no_temporary_files(tmp_path):
    store = open_object_store(str(tmp_path / "plain-folder"))
    assert isinstance(store, LocalObjectStore)
    store.put_bytes("k", b"v")
    assert sorted(p.name for p in (tmp_path / "plain-folder").iterdir()) == ["k"]


def test_failed_local_write_keeps_the_old_object(tmp_path):
    store = LocalObjectStore(tmp_path / "objects")
    store.put_bytes("k", b"old")
    missing_source = tmp_path / "does-not-exist"
    with pytest.raises(FileNotFoundError):
        store.put_file("k", missing_source)
    assert store.get_bytes("k") == b"old"
    assert store.list() == ["k"]


def test_s3_endpoint_setting_reaches_the_client(aws_credentials):
    store = open_object_store("s3://bucket/prefix", s3_endpoint_url="http://minio.local:9000")
    assert isinstance(store, S3ObjectStore)
    assert store.client.meta.endpoint_url == "http://minio.local:9000"
    assert (store.bucket, store.prefix) == ("bucket", "prefix")


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="file:// or s3://"):
        open_object_store("gs://bucket/prefix")
