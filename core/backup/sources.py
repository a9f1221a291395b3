"""What a backup covers, resolved from settings: databases by URL and folders by location."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from core.settings import Settings

__all__ = [
    "DAGSTER_PREFIX",
    "MLFLOW_ARTIFACTS",
    "MLFLOW_DATABASE",
    "OPERATIONAL_DATABASE",
    "BackupSources",
    "DatabaseSource",
    "FolderSource",
    "database_kind",
]

OPERATIONAL_DATABASE = "operational"
MLFLOW_DATABASE = "mlflow"
MLFLOW_ARTIFACTS = "mlflow_artifacts"
DAGSTER_PREFIX = "dagster/"
_KINDS = {"sqlite": "sqlite", "postgresql": "postgresql"}


def database_kind(url: str) -> str:
    """`sqlite` or `postgresql`; anything else cannot be dumped and is refused by name."""
    backend = make_url(url).get_backend_name()
    if backend not in _KINDS:
        shown = make_url(url).render_as_string(hide_password=True)
        raise ValueError(
            f"cannot back up {shown}: only SQLite files and PostgreSQL databases are supported"
        )
    return _KINDS[backend]


@dataclass(frozen=True)
class DatabaseSource:
    """A database to dump; `name` is its place in the backup (`operational`, `mlflow`, ...)."""

    name: str
    url: str
    # An optional SQLite source whose file does not exist yet (no model trained on a fresh
    # install) is listed as skipped in the manifest instead of failing the backup.
    required: bool = True

    @property
    def kind(self) -> str:
        return database_kind(self.url)


@dataclass(frozen=True)
class FolderSource:
    """A folder or S3 prefix copied file by file (the MLflow artifact root)."""

    name: str
    location: str


@dataclass(frozen=True)
class BackupSources:
    """Everything one backup holds. Dagster's SQLite files are found when the backup runs."""

    databases: tuple[DatabaseSource, ...]
    folders: tuple[FolderSource, ...]
    dagster_home: Path | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, mlflow_backend_store_uri: str | None = None
    ) -> BackupSources:
        """The operational DB, MLflow's backend store and artifacts, Dagster's storage.

        An MLflow tracking *server* URL names no database; then pass the server's backend
        store URI as `mlflow_backend_store_uri` (the server's `--backend-store-uri`).
        """
        mlflow_store = mlflow_backend_store_uri or settings.mlflow_tracking_uri
        if mlflow_store.startswith(("http://", "https://")):
            raise ValueError(
                f"mlflow_tracking_uri {mlflow_store} is a tracking server; give the backup its "
                "backend store URI (the server's --backend-store-uri) to dump"
            )
        return cls(
            databases=(
                DatabaseSource(OPERATIONAL_DATABASE, settings.database_url),
                DatabaseSource(MLFLOW_DATABASE, mlflow_store, required=False),
            ),
            folders=(FolderSource(MLFLOW_ARTIFACTS, settings.mlflow_artifact_root),),
            dagster_home=settings.dagster_home,
        )

    def dagster_databases(self) -> list[DatabaseSource]:
        """Each SQLite file of the Dagster instance (runs, event logs, schedules), by path."""
        if self.dagster_home is None or not self.dagster_home.is_dir():
            return []
        return [
            DatabaseSource(
                DAGSTER_PREFIX + path.relative_to(self.dagster_home).as_posix(), f"sqlite:///{path}"
            )
            for path in sorted(self.dagster_home.rglob("*.db"))
            if path.is_file()
        ]

    def all_databases(self) -> list[DatabaseSource]:
        return [*self.databases, *self.dagster_databases()]
