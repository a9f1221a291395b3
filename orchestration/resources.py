"""Dagster resources: the platform's stores and services, configured from settings once.

Asset code asks for a resource by type and never looks at the environment: which store or
deploy target is used is decided here, from `core.settings`, in `build_resources`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3PickleIOManager, S3Resource
from pydantic import Field, PrivateAttr
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.backup import BackupSources, RetentionPolicy
from core.datasets import DEFAULT_DATASET
from core.db.engine import make_engine, session_scope
from core.mlflow_names import registered_model_name
from core.registry import ModelRegistry
from core.settings import Settings
from core.storage import ObjectStore, open_object_store
from orchestration.compute import TrainingCompute

__all__ = [
    "BackupVault",
    "LandingArea",
    "MLflowTracking",
    "ObjectStorage",
    "OperationalDatabase",
    "PipelinePolicy",
    "StepScratch",
    "build_resources",
    "io_manager_for",
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
    s3_endpoint_url: str | None = Field(
        default=None, description="S3 endpoint of the artifact store (MinIO, moto)."
    )

    def activate(self) -> None:
        """Point this process's MLflow client at our server and artifact store."""
        import mlflow

        if self.s3_endpoint_url:
            # MLflow's S3 artifact repository reads its endpoint from the environment only.
            os.environ["MLFLOW_S3_ENDPOINT_URL"] = self.s3_endpoint_url
        mlflow.set_tracking_uri(self.tracking_uri)

    def experiment_id(self) -> str:
        """The experiment's id, creating it (with our artifact root) the first time."""
        import mlflow

        self.activate()
        found = mlflow.get_experiment_by_name(self.experiment_name)
        if found is not None:
            return found.experiment_id
        location = self.artifact_root
        if "://" not in location:
            Path(location).mkdir(parents=True, exist_ok=True)
            location = Path(location).resolve().as_uri()
        return mlflow.create_experiment(self.experiment_name, artifact_location=location)

    def dataset_model_name(self, dataset: str = DEFAULT_DATASET) -> str:
        """The registered model of `dataset` (`model_name` itself for `default`)."""
        return registered_model_name(self.model_name, dataset)

    def registry(self, dataset: str = DEFAULT_DATASET) -> ModelRegistry:
        """The registry of `dataset`'s registered model, with its own champion/challenger."""
        return ModelRegistry(self.tracking_uri, self.dataset_model_name(dataset))

    def download_model(self, model_uri: str, into: Path) -> Path:
        """The Quantis model directory of `model_uri` (`models:/...`, `runs:/...`), downloaded
        into `into` once and reused after that (a step's own scratch folder)."""
        import mlflow

        from models.artifact import MANIFEST_NAME

        if not any(into.rglob(MANIFEST_NAME)):
            self.activate()
            into.mkdir(parents=True, exist_ok=True)
            mlflow.artifacts.download_artifacts(model_uri, dst_path=str(into))
        return next(into.rglob(MANIFEST_NAME)).parent

    def model_version_dir(
        self, version: str, scratch: Path, dataset: str = DEFAULT_DATASET
    ) -> Path:
        """The model directory of `dataset`'s registered `version`, downloaded into `scratch`."""
        name = self.dataset_model_name(dataset)
        return self.download_model(f"models:/{name}/{version}", scratch / "registered" / version)


class PipelinePolicy(dg.ConfigurableResource):
    """Choices of the pipeline that an operator sets per deployment, for every dataset alike.
    What differs per dataset (thresholds, bounds, horizon, levels) is the dataset's
    configuration, read by the step from the database (`orchestration.datasets`)."""

    promotion_margin: float = Field(
        description="Relative MASE improvement a challenger needs to be promoted."
    )
    train_device: str = Field(description="cpu, gpu or auto.")
    train_jobs: int = Field(
        default=1, description="Worker processes estimating the statistical members' series."
    )
    backtest_reuse_fits: bool = Field(
        default=True,
        description="The promotion backtest fits each member once per distinct training "
        "frame (shared by windows, nested selection backtests and methods) instead of "
        "refitting every model with its own selection backtest at every window.",
    )
    landing_chunk_rows: int = Field(
        default=1_000_000,
        description="Rows of landing files read, validated and staged at a time (a larger "
        "batch is read in chunks of this many); the panel snapshot is written in groups of "
        "whole series of at most this many rows.",
    )


class StepScratch(dg.ConfigurableResource):
    """A scratch folder private to one step: made when the step starts, removed when it ends.

    Nothing in it outlives the step, so no step can read what another wrote there: what a
    step hands on goes to the object store or MLflow. With a process per step (the
    multiprocess and k8s executors) the step's process also works inside it: current
    directory, HOME and TMPDIR point there, as in a pod with an emptyDir. In one process
    (the in-process executor) the folder is made once per run and the process is left alone.
    Every pipeline asset asks for it, also those with no files of their own, so that what a
    library writes to the working folder or TMPDIR stays private to the step.
    """

    root: str = Field(description="Folder under which each step's scratch folder is made.")
    isolate_process: bool = Field(
        default=False,
        description="Run the step's process inside its folder (cwd, HOME, TMPDIR).",
    )
    _path: Path | None = PrivateAttr(default=None)
    _restore: dict[str, Any] = PrivateAttr(default_factory=dict)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        root = Path(self.root)
        root.mkdir(parents=True, exist_ok=True)
        self._path = Path(tempfile.mkdtemp(prefix="step-", dir=root))
        if self.isolate_process:
            self._restore = {"cwd": os.getcwd(), "env": {k: os.environ.get(k) for k in _HOMES}}
            os.chdir(self._path)
            for name in _HOMES:
                os.environ[name] = str(self._path)
        if context.log is not None:
            context.log.info(f"step scratch {self._path} (pid {os.getpid()}, cwd {os.getcwd()})")

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._restore:
            os.chdir(self._restore["cwd"])
            for name, value in self._restore["env"].items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)

    @property
    def path(self) -> Path:
        if self._path is None:
            raise RuntimeError("StepScratch is used outside a step")
        return self._path

    def folder(self, *parts: str) -> Path:
        """A sub-folder of the step's scratch folder, created."""
        folder = self.path.joinpath(*parts)
        folder.mkdir(parents=True, exist_ok=True)
        return folder


_HOMES = ("HOME", "TMPDIR", "XDG_CACHE_HOME")


def io_manager_for(settings: Settings) -> dg.ConfigurableIOManager:
    """Asset outputs travel through the object store: S3 in production (steps run in
    separate pods), a folder beside the objects on one machine."""
    s3 = settings.s3_endpoint_url
    if settings.object_store_url.startswith("s3://"):
        bucket, _, prefix = settings.object_store_url.removeprefix("s3://").partition("/")
        return S3PickleIOManager(
            s3_resource=S3Resource(endpoint_url=s3),
            s3_bucket=bucket,
            s3_prefix=f"{prefix.strip('/')}/dagster-io".lstrip("/"),
        )
    folder = Path(settings.object_store_url.removeprefix("file://")) / "dagster-io"
    return dg.FilesystemIOManager(base_dir=str(folder))


def build_resources(settings: Settings) -> dict[str, Any]:
    """The resources every domain shares, from one settings object. A domain's own
    resources (the serving domain's deploy target, the backup vault...) come from that
    domain's `build`."""
    s3 = settings.s3_endpoint_url
    return {
        "database": OperationalDatabase(url=settings.database_url),
        "storage": ObjectStorage(url=settings.object_store_url, s3_endpoint_url=s3),
        "landing": LandingArea(url=settings.landing_url, s3_endpoint_url=s3),
        "mlflow_tracking": MLflowTracking(
            tracking_uri=settings.mlflow_tracking_uri,
            artifact_root=settings.mlflow_artifact_root,
            model_name=settings.registered_model_name,
            s3_endpoint_url=s3,
        ),
        "policy": PipelinePolicy(
            promotion_margin=settings.promotion_margin,
            train_device=settings.train_device,
            train_jobs=settings.train_jobs,
            backtest_reuse_fits=settings.backtest_reuse_fits,
            landing_chunk_rows=settings.landing_chunk_rows,
        ),
        "scratch": StepScratch(
            root=str(settings.scratch_dir),
            isolate_process=settings.executor != "in_process",
        ),
        "compute": TrainingCompute.from_settings(settings),
        "io_manager": io_manager_for(settings),
    }


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
            mlflow_backend_store_uri=settings.mlflow_backend_store_uri
            or settings.mlflow_tracking_uri,
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
        """What a backup of this platform covers (the one place that says so)."""
        return BackupSources.platform(
            database_url=self.database_url,
            mlflow_backend_store_uri=self.mlflow_backend_store_uri,
            mlflow_artifact_root=self.mlflow_artifact_root,
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
