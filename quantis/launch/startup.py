"""Bringing the local platform up: home folder, database and data before the pipeline; the
servers after it, and what a person needs to use them (URLs, a sample request, the key)."""

from __future__ import annotations

import json
from collections.abc import Callable

from core.settings import Settings
from quantis.failures import UserError
from quantis.stack import LocalStack, StackError

__all__ = [
    "active_model_server",
    "first_admin_key",
    "prepare",
    "sample_request",
    "start_services",
    "stop_model_server",
]


def prepare(settings: Settings, say: Callable[[str], None], *, demo_data: bool) -> None:
    """Home folder, database schema and (when the landing area is empty) the demo data."""
    from core.datasets import default_dataset_config
    from core.db.migrate import upgrade
    from quantis.demo_data import DEMO_DATASETS, seed_landing_with_tourism

    settings.ensure_home()
    upgrade(settings.database_url, default_dataset=default_dataset_config(settings))
    _apply_declared_datasets(settings, say)
    if demo_data and seed_landing_with_tourism(settings):
        shown = ", ".join(f"{demo.name} (Tourism {demo.group})" for demo in DEMO_DATASETS)
        say(f"Seeded the landing area with the demo datasets: {shown}.")
    elif not _has_data(settings):
        raise UserError(
            f"no data: the landing area {settings.landing_url} has no files and the database "
            "no observations; put CSV or Parquet files there",
            run="quantis up (without --no-demo-data, for the Tourism demo data)",
        )


def _apply_declared_datasets(settings: Settings, say: Callable[[str], None]) -> None:
    """The datasets `config/datasets.yaml` declares, created or updated (all or nothing)."""
    from core.config_sources import config_dir
    from core.datasets import DatasetChangeRefused
    from core.datasets.declared import DatasetFileError, default_datasets_file
    from core.db.engine import make_engine, session_scope
    from quantis.commands.dataset import apply_declared

    path = default_datasets_file(config_dir())
    if not path.exists():
        return
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            outcomes = apply_declared(session, path)
    except (DatasetFileError, DatasetChangeRefused) as error:
        raise UserError(
            f"{path}: nothing applied: {error}", run=f"quantis dataset apply {path}"
        ) from error
    finally:
        engine.dispose()
    for name, outcome in outcomes.items():
        if outcome != "unchanged":
            say(f"Dataset {name}: {outcome} from {path}.")


def _has_data(settings: Settings) -> bool:
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.observations import count_observations
    from core.storage import open_object_store

    landing = open_object_store(settings.landing_url, s3_endpoint_url=settings.s3_endpoint_url)
    if landing.list():
        return True
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            return count_observations(session) > 0
    finally:
        engine.dispose()


def active_model_server(settings: Settings) -> tuple[str | None, int | None]:
    """(URL, pid) of the model server the local deployment record names, if any."""
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.deployments import get_active_deployment

    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            active = get_active_deployment(session, "local")
            if active is None:
                return None, None
            return active.endpoint_url, (active.details or {}).get("pid")
    finally:
        engine.dispose()


def stop_model_server(pid: int | None) -> None:
    from core.processes import stop_process_group

    if pid:
        stop_process_group(pid)


def start_services(settings: Settings, *, dagster_port: int, mlflow_port: int) -> LocalStack:
    """The Dagster UI + daemon, the MLflow UI and the REST API; on failure all are stopped
    and a `UserError` carries the server's log tail."""
    stack = LocalStack(settings)
    try:
        stack.start_dagster(dagster_port)
        stack.start_mlflow(mlflow_port)
        stack.start_api()
    except StackError as error:
        stack.stop()
        raise UserError(str(error)) from error
    return stack


def sample_request(settings: Settings, url: str) -> str:
    """A `curl` forecast request against the model server, on the first series' history."""
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.observations import read_recent_panel

    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            panel = read_recent_panel(session, last_n=36)
    finally:
        engine.dispose()
    first = panel[panel["unique_id"] == panel["unique_id"].iloc[0]]
    body = {
        "series": [
            {
                "id": str(first["unique_id"].iloc[0]),
                "timestamps": [ts.strftime("%Y-%m-%d") for ts in first["ds"]],
                "values": [round(float(v), 2) for v in first["y"]],
            }
        ],
        "horizon": 12,
        "levels": [80, 95],
    }
    return f"curl -s -X POST {url}/forecast -H 'Content-Type: application/json' -d '{json.dumps(body)}'"


def first_admin_key(settings: Settings) -> str | None:
    """On a platform with no API keys yet, create an admin key and return it (shown once)."""
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.api_keys import create_api_key, list_api_keys

    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            if list_api_keys(session, include_revoked=True):
                return None
            _, plaintext = create_api_key(
                session,
                name="local-admin",
                scopes=["read", "write", "admin"],
                secret_key=settings.secret_key.get_secret_value(),
            )
    finally:
        engine.dispose()
    return plaintext
