"""Backups to S3 (moto): the production store, with MLflow artifacts also on S3."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from core.backup import (
    BackupSources,
    DatabaseSource,
    FolderSource,
    RestoreTargets,
    create_backup,
    list_backups,
    restore_backup,
    verify_backup,
)
from core.backup.sources import MLFLOW_ARTIFACTS, OPERATIONAL_DATABASE
from core.storage import open_object_store
from tests.backup.conftest import fingerprints_of

BUCKET = "quantis-backups-test"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials so no test can ever reach a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield


def test_backup_to_s3_verifies_and_restores_artifacts_to_s3(s3, populated_db, fresh_db_url):
    artifacts = open_object_store(f"s3://{BUCKET}/mlflow-artifacts")
    artifacts.put_bytes("1/run/artifacts/model/MLmodel", b"flavors: {}")
    store = open_object_store(f"s3://{BUCKET}/objects")
    sources = BackupSources(
        (DatabaseSource(OPERATIONAL_DATABASE, populated_db),),
        (FolderSource(MLFLOW_ARTIFACTS, f"s3://{BUCKET}/mlflow-artifacts"),),
    )

    manifest = create_backup(sources, store).manifest
    verify_backup(store, manifest.backup_id)
    target = fresh_db_url("sqlite" if populated_db.startswith("sqlite") else "postgresql")
    restore_backup(
        store,
        manifest.backup_id,
        RestoreTargets(database_url=target, mlflow_artifact_root=f"s3://{BUCKET}/restored"),
    )

    assert [b.backup_id for b in list_backups(store)] == [manifest.backup_id]
    assert fingerprints_of(target) == fingerprints_of(populated_db)
    restored = open_object_store(f"s3://{BUCKET}/restored")
    assert restored.get_bytes("1/run/artifacts/model/MLmodel") == b"flavors: {}"
