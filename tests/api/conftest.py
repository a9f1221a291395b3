"""The API over a real database (SQLite and PostgreSQL) and a real model-server process.

- `model_server` (session): `bentoml serve bentos.service:ModelServer` with a tiny model.
- `api_settings`: settings on `db_url` pointing at that model server.
- `client`: a `TestClient` of `create_app(api_settings, options)`.
- `api_key(*scopes, datasets=None)`: creates a key in the database and returns its plaintext.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from served_model import RunningModelServer  # on sys.path via the root conftest

from api.config import ApiOptions
from api.main import create_app
from core.db.engine import make_engine, session_scope
from core.db.repositories.api_keys import create_api_key
from core.settings import Settings, load_settings

UNREACHABLE_URL = "http://127.0.0.1:9"  # the discard port: nothing answers HTTP there


@pytest.fixture
def api_settings(db_url: str, model_server: RunningModelServer) -> Settings:
    return load_settings(database_url=db_url, model_server_url=model_server.url)


@pytest.fixture
def api_options(tmp_path: Path) -> ApiOptions:
    # No frontend folder, a Dagster nobody runs, limits no test reaches by accident.
    return ApiOptions(
        rate_limit_per_minute=100_000,
        rate_limit_burst=10_000,
        dagster_url=UNREACHABLE_URL,
        dagster_timeout_s=2,
        frontend_dir=tmp_path / "no-frontend",
    )


@pytest.fixture
def client(api_settings: Settings, api_options: ApiOptions) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings, api_options), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def api_key(api_settings: Settings) -> Callable[..., str]:
    """`api_key("read", "write")` -> the plaintext of a new key with those scopes
    (`datasets=[...]`: limited to those datasets)."""
    engine = make_engine(api_settings.database_url)
    secret = api_settings.secret_key.get_secret_value()

    def make(*scopes: str, name: str = "test", datasets: list[str] | None = None) -> str:
        with session_scope(engine) as session:
            _key, plaintext = create_api_key(
                session, name=name, scopes=scopes, secret_key=secret, datasets=datasets
            )
        return plaintext

    yield make
    engine.dispose()


@pytest.fixture
def headers(api_key) -> Callable[..., dict[str, str]]:
    """`headers("write")` -> request headers carrying a new key with those scopes."""
    return lambda *scopes: {"Authorization": f"Bearer {api_key(*scopes)}"}


@pytest.fixture
def scratch_database(tmp_path: Path) -> Callable[..., tuple[str, str]]:
    """`scratch_database(*scopes)` -> (URL, key): a migrated SQLite file of its own with one
    API key of those scopes, for API processes the test starts itself."""
    from core.db.migrate import upgrade

    def make(*scopes: str) -> tuple[str, str]:
        url = f"sqlite:///{tmp_path / f'scratch-{secrets.token_hex(4)}.db'}"
        upgrade(url)
        engine = make_engine(url)
        secret = load_settings(database_url=url).secret_key.get_secret_value()
        try:
            with session_scope(engine) as session:
                _, key = create_api_key(session, name="scratch", scopes=scopes, secret_key=secret)
        finally:
            engine.dispose()
        return url, key

    return make


@pytest.fixture
def api_process(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], str]]:
    """`api_process(environment)` -> base URL of `quantis serve api`'s uvicorn, started as a
    process of its own with `QUANTIS_*` settings from `environment`; stopped after the test."""
    from core.processes import (
        free_port,
        log_tail,
        start_process,
        stop_process_group,
        wait_until_healthy,
    )
    from quantis.commands.serve import api_command

    repo = Path(__file__).resolve().parents[2]
    started = []

    def start(environment: dict[str, str]) -> str:
        port = free_port()
        log = tmp_path / f"api-{len(started)}.log"
        environment = {"QUANTIS_FRONTEND_DIR": str(tmp_path / "no-frontend"), **environment}
        process = start_process(api_command("127.0.0.1", port), log, env=environment, cwd=repo)
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        healthy = wait_until_healthy(f"{base}/health", timeout_s=60, pid=process.pid)
        assert healthy, log_tail(process.log_path)
        return base

    yield start
    for process in started:
        stop_process_group(process.pid)
