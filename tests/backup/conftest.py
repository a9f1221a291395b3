"""Fixtures for the backup tests: a populated operational DB, an MLflow store with a champion.

- `mlflow_source` (session): a SQLite MLflow store and artifact folder holding a small
  LightGBM model registered as champion. Tests only read it (backups never write sources).
- `populated_db`: the migrated `db_url` (SQLite, then PostgreSQL) holding series,
  observations and an audit entry with JSON details.
- `sources`: what a backup of those covers, with a Dagster home holding one SQLite file.
- `backup_store`: a local object store for the backups.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.backup import BackupSources, DatabaseSource, FolderSource
from core.backup.fingerprints import postgres_fingerprints, sqlite_fingerprints
from core.backup.manifest import TableFingerprint
from core.backup.sources import MLFLOW_ARTIFACTS, MLFLOW_DATABASE, OPERATIONAL_DATABASE
from core.backup.sqlite_files import sqlite_path
from core.db.engine import make_engine, session_scope
from core.db.repositories.audit import append_audit
from core.db.repositories.observations import upsert_panel
from core.storage import ObjectStore, open_object_store

MODEL_NAME = "quantis-forecaster"


@dataclass(frozen=True)
class MlflowSource:
    tracking_uri: str
    artifact_root: Path
    champion_version: str


@contextmanager
def _mlflow_globals_restored() -> Iterator[None]:
    """Undo the process-wide tracking and registry URIs (globals and environment variables)
    that logging and `ModelRegistry.register` leave behind, so later tests are not steered."""
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    names = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
    environment = {name: os.environ.get(name) for name in names}
    uris = (tracking_utils._tracking_uri, registry_utils._registry_uri)
    try:
        yield
    finally:
        tracking_utils._tracking_uri, registry_utils._registry_uri = uris
        for name, value in environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _log_champion(tracking_uri: str, artifact_root: Path, work: Path) -> str:
    import mlflow
    from served_model import log_model_dir

    from core.registry import ModelRegistry
    from models.artifact import ModelManifest, save_model_dir
    from models.datasets import synthetic_panel
    from models.forecaster import LightGBMForecaster

    model = LightGBMForecaster.from_defaults(
        "MS", 12, 6, num_boost_round=5, interval_windows=0, combine_with=()
    ).fit(synthetic_panel(3, 48, "MS", seed=1))
    model_dir = work / "model"
    manifest = ModelManifest(type(model).__name__, "MS", 12, 6, name=MODEL_NAME)
    save_model_dir(model, model_dir, manifest)
    with _mlflow_globals_restored():
        mlflow.set_tracking_uri(tracking_uri)
        experiment = mlflow.create_experiment("quantis", artifact_location=artifact_root.as_uri())
        model_uri = log_model_dir(experiment, model_dir)
        registry = ModelRegistry(tracking_uri, MODEL_NAME, registry_uri=tracking_uri)
        return registry.promote(registry.register(model_uri).version).version


@pytest.fixture(scope="session")
def mlflow_source(tmp_path_factory: pytest.TempPathFactory) -> MlflowSource:
    root = tmp_path_factory.mktemp("mlflow-source")
    artifact_root = root / "artifacts"
    artifact_root.mkdir()
    tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
    version = _log_champion(tracking_uri, artifact_root, root / "work")
    return MlflowSource(tracking_uri, artifact_root, version)


def add_dataset(url: str, name: str, series: int, length: int) -> None:
    """A second dataset (weekly) with its own series and observations, beside `default`'s."""
    from core.datasets import DatasetConfig
    from core.db.repositories.datasets import create_dataset
    from models.datasets import synthetic_panel

    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            dataset = create_dataset(session, DatasetConfig(name=name, frequency="W-SUN"))
            panel = synthetic_panel(series, length, "W-SUN", seed=3)
            upsert_panel(session, panel, frequency="W-SUN", dataset_id=dataset.id)
    finally:
        engine.dispose()


def populate(url: str, series: int = 4, length: int = 36) -> None:
    from models.datasets import synthetic_panel

    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            upsert_panel(session, synthetic_panel(series, length, "MS", seed=2), frequency="MS")
            append_audit(session, actor="test", action="seed", details={"b": [1, 2], "a": "x"})
    finally:
        engine.dispose()


@pytest.fixture
def populated_db(db_url: str) -> str:
    populate(db_url)
    return db_url


@pytest.fixture
def dagster_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster-home"
    (home / "history").mkdir(parents=True)
    connection = sqlite3.connect(home / "history" / "runs.db")
    connection.execute("CREATE TABLE runs (run_id TEXT PRIMARY KEY, status TEXT)")
    connection.executemany("INSERT INTO runs VALUES (?, ?)", [("r1", "SUCCESS"), ("r2", "FAIL")])
    connection.commit()
    connection.close()
    return home


@pytest.fixture
def sources(populated_db: str, mlflow_source: MlflowSource, dagster_home: Path) -> BackupSources:
    return BackupSources(
        databases=(
            DatabaseSource(OPERATIONAL_DATABASE, populated_db),
            DatabaseSource(MLFLOW_DATABASE, mlflow_source.tracking_uri),
        ),
        folders=(FolderSource(MLFLOW_ARTIFACTS, str(mlflow_source.artifact_root)),),
        dagster_home=dagster_home,
    )


@pytest.fixture
def backup_store(tmp_path: Path) -> ObjectStore:
    return open_object_store(f"file://{tmp_path / 'backups-store'}")


def fingerprints_of(url: str) -> dict[str, TableFingerprint]:
    """Fingerprints of a live database, read independently of any backup."""
    if url.startswith("sqlite"):
        return sqlite_fingerprints(sqlite_path(url))
    engine: Engine = make_engine(url)
    try:
        with engine.begin() as connection:
            return postgres_fingerprints(connection)
    finally:
        engine.dispose()


@pytest.fixture
def operational_sources(populated_db: str) -> BackupSources:
    """Only the operational database: for tests that need no MLflow store."""
    return BackupSources(
        databases=(DatabaseSource(OPERATIONAL_DATABASE, populated_db),), folders=()
    )


@pytest.fixture
def postgres_server_url_or_none(db_url: str) -> str | None:
    """Where a drill may create scratch PostgreSQL databases (None on the SQLite run)."""
    return None if db_url.startswith("sqlite") else db_url


@pytest.fixture
def operational_sources_pg(postgres_session_db_url: str) -> BackupSources:
    populate(postgres_session_db_url, series=2, length=12)
    return BackupSources(
        databases=(DatabaseSource(OPERATIONAL_DATABASE, postgres_session_db_url),), folders=()
    )
