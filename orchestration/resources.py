"""Dagster resources: the platform's stores and services, configured from settings once.

Asset code asks for a resource by type and never looks at the environment: which store or
deploy target is used is decided here, from `core.settings`, in `build_resources`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3PickleIOManager, S3Resource
from pydantic import Field, PrivateAttr
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.backup import BackupSources, DatabaseSource, FolderSource, RetentionPolicy
from core.backup.sources import MLFLOW_ARTIFACTS, MLFLOW_DATABASE, OPERATIONAL_DATABASE
from core.db.engine import make_engine, session_scope
from core.registry import ModelRegistry
from core.settings import Settings
from core.storage import ObjectStore, open_object_store

__all__ = [
    "BackupVault",
    "LandingArea",
    "MLflowTracking",
    "ObjectStorage",
    "OperationalDatabase",
    "PipelinePolicy",
    "build_resources",
]


class OperationalDatabase(dg.ConfigurableResource):
    """The operational database (SQLite file or PostgreSQL)."""

    url: str = Field(description="SQLAlchemy URL of the operational database.")
    _engine: Engine | None = PrivateAttr(default=None)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with session_scope(self.engine) as session:
            yield session


class _StoreResource(dg.ConfigurableResource):
    url: str = Field(description="file:///folder, a folder path, or s3://bucket/prefix.")
    s3_endpoint_url: str | None = Field(default=None, description="S3 endpoint override.")

    def open(self) -> ObjectStore:
        client = None
        if self.url.startswith("s3://"):
            # dagster-aws builds the client, so its retry and credential settings apply.
            client = S3Resource(endpoint_url=self.s3_endpoint_url).get_client()
        return open_object_store(self.url, s3_endpoint_url=self.s3_endpoint_url, s3_client=client)


class ObjectStorage(_StoreResource):
    """Object storage for panel snapshots and staged batches (a folder, or S3)."""


class LandingArea(_StoreResource):
    """Where observation files land (a folder, or an S3 prefix). Files that cannot be read
    are moved to `_quarantine/` inside it, with a `.reason.txt` beside each."""


class MLflowTracking(dg.ConfigurableResource):
    """MLflow tracking server / store and the registered model Quantis serves."""

    tracking_uri: str = Field(description="MLflow tracking URI.")
    artifact_root: str = Field(description="Where new experiments keep their artifacts.")
    model_name: str = Field(description="Registered model name in the MLflow registry.")
    experiment_name: str = Field(default="quantis", description="MLflow experiment name.")

    def experiment_id(self) -> str:
        """The experiment's id, creating it (with our artifact root) the first time."""
        import mlflow

        mlflow.set_tracking_uri(self.tracking_uri)
        found = mlflow.get_experiment_by_name(self.experiment_name)
        if found is not None:
            return found.experiment_id
        location = self.artifact_root
        if "://" not in location:
            Path(location).mkdir(parents=True, exist_ok=True)
            location = Path(location).resolve().as_uri()
        return mlflow.create_experiment(self.experiment_name, artifact_location=location)

    def registry(self) -> ModelRegistry:
        return ModelRegistry(self.tracking_uri, self.model_name)

    def model_version_dir(self, version: str, work_dir: Path) -> Path:
        """The Quantis model directory of registered `version`, downloaded once into
        `work_dir/champions/<version>` and reused after that."""
        import mlflow

        from models.artifact import MANIFEST_NAME

        target = work_dir / "champions" / version
        if not any(target.rglob(MANIFEST_NAME)):
            mlflow.set_tracking_uri(self.tracking_uri)
            mlflow.artifacts.download_artifacts(
                f"models:/{self.model_name}/{version}", dst_path=str(target)
            )
        return next(target.rglob(MANIFEST_NAME)).parent


class PipelinePolicy(dg.ConfigurableResource):
    """Thresholds and choices of the pipeline that an operator sets per deployment."""

    max_bad_row_share: float = Field(
        description="Share of bad rows in a batch above which the run stops before training."
    )
    value_min: float | None = Field(default=None, description="Lowest plausible value.")
    value_max: float | None = Field(default=None, description="Highest plausible value.")
    min_history: int = Field(
        default=0, description="Fewest observations a series needs to be trained on; 0 = auto."
    )
    promotion_margin: float = Field(
        description="Relative MASE improvement a challenger needs to be promoted."
    )
    train_device: str = Field(description="cpu, gpu or auto.")
    work_dir: str = Field(description="Scratch folder for model files and logs.")


def build_resources(settings: Settings) -> dict[str, Any]:
    """Every resource the pipeline uses, from one settings object."""
    from orchestration.defs.serving.targets import deploy_target_for

    s3 = settings.s3_endpoint_url
    resources = {
        "database": OperationalDatabase(url=settings.database_url),
        "storage": ObjectStorage(url=settings.object_store_url, s3_endpoint_url=s3),
        "landing": LandingArea(url=settings.landing_url, s3_endpoint_url=s3),
        "mlflow_tracking": MLflowTracking(
            tracking_uri=settings.mlflow_tracking_uri,
            artifact_root=settings.mlflow_artifact_root,
            model_name=settings.registered_model_name,
        ),
        "policy": PipelinePolicy(
            max_bad_row_share=settings.max_bad_row_share,
            promotion_margin=settings.promotion_margin,
            train_device=settings.train_device,
            work_dir=str(settings.home / "work"),
        ),
        "deploy_target": deploy_target_for(settings),
        "backup_vault": BackupVault.from_settings(settings),
    }
    if settings.object_store_url.startswith("s3://"):
        # Steps run in separate pods on Kubernetes: pass asset outputs through S3, not disk.
        bucket, _, prefix = settings.object_store_url.removeprefix("s3://").partition("/")
        resources["io_manager"] = S3PickleIOManager(
            s3_resource=S3Resource(endpoint_url=s3),
            s3_bucket=bucket,
            s3_prefix=f"{prefix.strip('/')}/dagster-io".lstrip("/"),
        )
    return resources


class BackupVault(dg.ConfigurableResource):
    """Where backups go, what they cover and how many are kept (see `core.backup`)."""

    store_url: str = Field(description="Backups root: file:///folder or s3://bucket/prefix.")
    s3_endpoint_url: str | None = Field(default=None, description="S3 endpoint override.")
    database_url: str = Field(description="Operational database; also holds the catalog.")
    mlflow_backend_store_uri: str = Field(
        description="MLflow backend store (SQLite or PostgreSQL URL, not a server URL)."
    )
    mlflow_artifact_root: str = Field(description="MLflow artifact root: folder or s3://.")
    dagster_home: str = Field(description="DAGSTER_HOME whose SQLite storage is backed up.")
    registered_model_name: str = Field(description="Model whose champion the drill loads.")
    retention_daily: int = Field(ge=0, description="Daily backups kept.")
    retention_weekly: int = Field(ge=0, description="Weekly backups kept.")
    retention_monthly: int = Field(ge=0, description="Monthly backups kept.")
    scratch_dir: str = Field(description="Local folder for dumps and downloads in flight.")

    @classmethod
    def from_settings(cls, settings: Settings) -> BackupVault:
        return cls(
            store_url=settings.object_store_url,
            s3_endpoint_url=settings.s3_endpoint_url,
            database_url=settings.database_url,
            mlflow_backend_store_uri=settings.mlflow_tracking_uri,
            mlflow_artifact_root=settings.mlflow_artifact_root,
            dagster_home=str(settings.dagster_home),
            registered_model_name=settings.registered_model_name,
            retention_daily=settings.backup_retention_daily,
            retention_weekly=settings.backup_retention_weekly,
            retention_monthly=settings.backup_retention_monthly,
            scratch_dir=str(settings.home / "work" / "backup"),
        )

    def open_store(self) -> ObjectStore:
        return open_object_store(self.store_url, s3_endpoint_url=self.s3_endpoint_url)

    def sources(self) -> BackupSources:
        return BackupSources(
            databases=(
                DatabaseSource(OPERATIONAL_DATABASE, self.database_url),
                DatabaseSource(MLFLOW_DATABASE, self.mlflow_backend_store_uri, required=False),
            ),
            folders=(FolderSource(MLFLOW_ARTIFACTS, self.mlflow_artifact_root),),
            dagster_home=Path(self.dagster_home),
        )

    def retention(self) -> RetentionPolicy:
        return RetentionPolicy(self.retention_daily, self.retention_weekly, self.retention_monthly)

    def scratch(self) -> Path:
        folder = Path(self.scratch_dir)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def postgres_server_url(self) -> str | None:
        """A PostgreSQL server the drill may create scratch databases on, if any is in use."""
        for url in (self.database_url, self.mlflow_backend_store_uri):
            if url.startswith("postgres"):
                return url
        return None
