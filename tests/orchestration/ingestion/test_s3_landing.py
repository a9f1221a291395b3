"""Ingestion from an `s3://` landing prefix, with S3 outputs, against moto's S3."""

from __future__ import annotations

import boto3
import dagster as dg
import pytest
from moto import mock_aws
from sqlalchemy import func, select

from core.datasets import DEFAULT_DATASET
from core.datasets.partitions import DATASET_PARTITIONS
from core.db.engine import make_engine, session_scope
from core.db.migrate import upgrade
from core.db.tables import Observation
from core.settings import get_settings
from models.datasets import synthetic_panel
from orchestration.definitions import build_definitions


@pytest.fixture
def s3_settings(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("QUANTIS_LANDING_URL", "s3://quantis-landing/incoming")
    monkeypatch.setenv("QUANTIS_OBJECT_STORE_URL", "s3://quantis-objects/quantis")
    get_settings.cache_clear()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="quantis-landing")
        s3.create_bucket(Bucket="quantis-objects")
        settings = get_settings().ensure_home()
        upgrade(settings.database_url)
        yield settings, s3


def test_files_under_an_s3_prefix_are_ingested_once(s3_settings):
    settings, s3 = s3_settings
    panel = synthetic_panel(3, 30, "MS", seed=4)
    s3.put_object(
        Bucket="quantis-landing", Key="incoming/a.csv", Body=panel.to_csv(index=False).encode()
    )
    defs = build_definitions(settings)
    assert "io_manager" in defs.resources  # outputs go to S3 when the object store is S3
    job = defs.resolve_job_def("ingestion")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(DATASET_PARTITIONS, [DEFAULT_DATASET])
    assert job.execute_in_process(instance=instance, partition_key=DEFAULT_DATASET).success
    # Nothing new the second time.
    assert job.execute_in_process(instance=instance, partition_key=DEFAULT_DATASET).success
    with session_scope(make_engine(settings.database_url)) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == len(panel)
    snapshots = s3.list_objects_v2(Bucket="quantis-objects", Prefix="quantis/panels/")
    assert snapshots["KeyCount"] == 2


def test_a_batch_larger_than_a_chunk_lands_from_s3_in_parts(s3_settings):
    settings, s3 = s3_settings
    panel = synthetic_panel(4, 30, "MS", seed=5)  # 120 rows, chunks of 50
    s3.put_object(
        Bucket="quantis-landing", Key="incoming/a.parquet", Body=panel.to_parquet(index=False)
    )
    job = build_definitions(settings.model_copy(update={"landing_chunk_rows": 50})).resolve_job_def(
        "ingestion"
    )
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(DATASET_PARTITIONS, [DEFAULT_DATASET])
    result = job.execute_in_process(instance=instance, partition_key=DEFAULT_DATASET)
    assert result.success
    [staged] = result.asset_materializations_for_node("staged_observations")
    assert staged.metadata["chunks"].value == 3
    parts = s3.list_objects_v2(Bucket="quantis-objects", Prefix="quantis/staging/default/")
    assert sorted(item["Key"].rsplit("/", 1)[1] for item in parts["Contents"]) == [
        "part-00000.parquet", "part-00001.parquet", "part-00002.parquet"
    ]  # fmt: skip
    with session_scope(make_engine(settings.database_url)) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == len(panel)
