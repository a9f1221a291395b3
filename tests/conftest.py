"""Fixtures shared by every test.

- `isolated_settings` (autouse): a temporary QUANTIS_HOME, no QUANTIS_* variables or
  mounted secrets from the developer's machine, and a cleared `get_settings` cache.
- `sigterm_as_found` (autouse): SIGTERM's disposition put back after each test (an in-process
  Dagster run leaves it set to SIGINT's, "ignored" when the suite runs in a background job, and
  every process a later test started would inherit it ignored).
- `db_url`: a migrated database, once on SQLite and once on PostgreSQL (marked
  `postgres`); empty of rows at the start of each test but the `default` dataset.
- `migrated_engine`: an engine on `db_url`.
- `fresh_db_url(kind)`: a new, empty, unmigrated database per call (`"sqlite"` or
  `"postgresql"`), dropped after the test; for tests that migrate or break schemas.

PostgreSQL comes from QUANTIS_TEST_PG_URL (default: postgres@127.0.0.1:5432, trust auth).
If it cannot be reached, PostgreSQL tests fail with that message; they are never skipped.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, Table, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.db.engine import make_engine
from core.db.migrate import upgrade
from core.db.repositories.datasets import ensure_default_dataset
from core.processes import sigterm_kept
from core.settings import get_settings

# `served_model.py` (tests/bentos) holds the helpers of the model-server fixtures below; the
# suite runs with `--import-mode=importlib`, which puts no test folder on sys.path.
_BENTOS_TESTS = str(Path(__file__).resolve().parent / "bentos")
if _BENTOS_TESTS not in sys.path:
    sys.path.insert(0, _BENTOS_TESTS)

from served_model import (  # noqa: E402
    COVARIATE_DATASET,
    SERVED_DATASET,
    SERVED_DATASET_VERSION,
    RunningModelServer,
    build_covariate_model_dir,
    build_tiny_model_dir,
    put_dataset_version,
)

PG_URL_VARIABLE = "QUANTIS_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DB_KINDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test sees only the repo's config files and its own temporary home."""
    for name in list(os.environ):
        if name.upper().startswith("QUANTIS_") and name.upper() != PG_URL_VARIABLE:
            monkeypatch.delenv(name)
    home = tmp_path / "quantis-home"
    monkeypatch.setenv("QUANTIS_HOME", str(home))
    monkeypatch.setenv("QUANTIS_SECRETS_DIR", str(tmp_path / "no-secrets-mounted"))
    get_settings.cache_clear()
    bentoml_home = os.environ.get("BENTOML_HOME")
    yield home
    get_settings.cache_clear()
    # A `quantis` command run in-process points BentoML at its home (quantis.cli): undo it.
    if bentoml_home is None:
        os.environ.pop("BENTOML_HOME", None)
    else:
        os.environ["BENTOML_HOME"] = bentoml_home


@pytest.fixture(autouse=True)
def sigterm_as_found() -> Iterator[None]:
    """A test that runs Dagster in process does not change SIGTERM for the tests after it."""
    with sigterm_kept():
        yield


class PostgresServer:
    """Creates and drops throwaway databases on the test PostgreSQL server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def check_reachable(self) -> None:
        try:
            with self.admin.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as error:
            shown = self.admin_url.render_as_string(hide_password=True)
            pytest.fail(
                f"PostgreSQL at {shown} is not reachable; start it or point {PG_URL_VARIABLE} "
                f"at a server where this user may create databases.\n{error}",
                pytrace=False,
            )

    def create_database(self) -> str:
        name = f"quantis_test_{secrets.token_hex(4)}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as connection:
            # FORCE ends sessions a test forgot to close, so cleanup never hangs on them.
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer(os.environ.get(PG_URL_VARIABLE) or DEFAULT_PG_URL)
    server.check_reachable()
    yield server
    server.admin.dispose()


@pytest.fixture(scope="session")
def postgres_session_db_url(postgres_server: PostgresServer) -> Iterator[str]:
    """One migrated PostgreSQL database for the whole test session."""
    url = postgres_server.create_database()
    try:
        upgrade(url)
        yield url
    finally:
        postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def sqlite_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies, cheaper than migrating every time."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_session_tables(postgres_session_db_url: str) -> list[Table]:
    """The migrated tables, children before parents, so rows can be deleted in order."""
    engine = make_engine(postgres_session_db_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
    finally:
        engine.dispose()
    return [table for table in reversed(metadata.sorted_tables) if table.name != "alembic_version"]


def _delete_all_rows(url: str, tables: list[Table]) -> None:
    """Every row gone but a fresh `default` dataset, as a newly migrated database has."""
    # DELETE is far cheaper than TRUNCATE on tables this small.
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            for table in tables:
                connection.execute(table.delete())
        with Session(engine) as session, session.begin():
            ensure_default_dataset(session)
    finally:
        engine.dispose()


@pytest.fixture(params=DB_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a migrated database without rows, on SQLite or PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "quantis-test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template_db"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_session_db_url")
    _delete_all_rows(url, request.getfixturevalue("postgres_session_tables"))
    return url


@pytest.fixture
def migrated_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Factory: `fresh_db_url("sqlite" | "postgresql")` gives a new empty database's URL."""
    created: list[str] = []
    server: PostgresServer | None = None

    def make(kind: str) -> str:
        nonlocal server
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'fresh-{len(created)}-{secrets.token_hex(4)}.db'}"
        if kind != "postgresql":
            raise ValueError(f"database kind must be 'sqlite' or 'postgresql', got {kind!r}")
        server = server or request.getfixturevalue("postgres_server")
        url = server.create_database()
        created.append(url)
        return url

    yield make
    for url in created:
        assert server is not None
        server.drop_database(url)


# One tiny model (and one with covariates, for the `retail` dataset) and one real `bentoml
# serve` process for the whole session, shared by the model-server, API and web-page tests.
@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model_dir(tmp_path_factory.mktemp("tiny-model") / "model")


@pytest.fixture(scope="session")
def covariate_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_covariate_model_dir(tmp_path_factory.mktemp("covariate-model") / "model")


@pytest.fixture(scope="session")
def model_server(
    tiny_model_dir: Path, covariate_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningModelServer]:
    volume = tmp_path_factory.mktemp("model-artifacts")
    for version in (SERVED_DATASET_VERSION, "4"):
        put_dataset_version(volume, tiny_model_dir, SERVED_DATASET, version)
    put_dataset_version(volume, covariate_model_dir, COVARIATE_DATASET, "1")
    served = {SERVED_DATASET: SERVED_DATASET_VERSION, COVARIATE_DATASET: "1"}
    environment = {
        "QUANTIS_MODEL_ARTIFACTS_DIR": str(volume),
        "QUANTIS_SERVED_DATASET_VERSIONS": json.dumps(served),
    }
    server = RunningModelServer(
        tiny_model_dir, tmp_path_factory.mktemp("model-server-logs"), environment=environment
    )
    server.start()
    yield server
    server.stop()
