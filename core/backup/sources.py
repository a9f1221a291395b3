"""What a backup covers: databases by URL and folders by location; what cannot be dumped is
refused by name before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

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
    def platform(
        cls,
        *,
        database_url: str,
        mlflow_backend_store_uri: str,
        mlflow_artifact_root: str,
        dagster_home: Path | None,
    ) -> BackupSources:
        """The operational DB, MLflow's backend store and artifacts, Dagster's storage.

        An MLflow tracking *server* URL names no database: the backup needs the server's
        backend store URI (its `--backend-store-uri`, setting `mlflow_backend_store_uri`).
        """
        if mlflow_backend_store_uri.startswith(("http://", "https://")):
            raise ValueError(
                f"the MLflow store {mlflow_backend_store_uri} is a tracking server; set "
                "QUANTIS_MLFLOW_BACKEND_STORE_URI to the server's --backend-store-uri so the "
                "backup can dump it"
            )
        database_kind(database_url)
        return cls(
            databases=(
                DatabaseSource(OPERATIONAL_DATABASE, database_url),
                DatabaseSource(MLFLOW_DATABASE, mlflow_backend_store_uri, required=False),
            ),
            folders=(FolderSource(MLFLOW_ARTIFACTS, mlflow_artifact_root),),
            dagster_home=dagster_home,
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
