"""Issue 23's upgrade: an installation from before datasets (database at the previous migration
head, its model registered under the installation's name with a `champion`, that champion
served by a real model server) runs `quantis db upgrade` and comes out as a `default` dataset
holding every series, its champion still the champion and still served, nothing lost.

The model server is the old installation's served-model configuration (served_model_version
on the model artifacts volume, filled from MLflow as the init container does) and keeps
running through the upgrade, as it does: a database migration restarts no model server. One
server and one registry serve both database kinds; each kind gets its own installation's
database.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from served_model import RunningModelServer, log_model_dir, tiny_panel
from sqlalchemy import MetaData, func, select
from typer.testing import CliRunner

from api.config import ApiOptions
from api.main import create_app
from bentos.model_source import choose_model_source
from bentos.served_models import initial_datasets
from core.db import migrate
from core.db.engine import make_engine
from core.db.repositories.api_keys import KEY_MARKER, hash_api_key
from core.settings import get_settings, load_settings
from models.registered_versions import fetch_model_version
from quantis.cli import app as quantis_cli
from quantis.launch.decision import champion_data

KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
PREVIOUS_HEAD = "0005_forecast_target_dates"  # the last revision before datasets
# Before datasets the registered model was named by the `registered_model_name` setting as is;
# the installation kept the setting's default.
OLD_MODEL_NAME = "quantis-forecaster"
TABLES = (
    "series", "observations", "forecasts", "forecast_targets", "quarantine", "landing_files",
    "model_deployments", "api_keys", "audit_log",
)  # fmt: skip
HORIZON, LEVELS = 14, [80, 95]
UNREACHABLE_URL = "http://127.0.0.1:9"  # only the deployment record leads to the server
SINCE = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class OldInstallation:
    """The registry and the model server of the installation from before datasets."""

    tracking_uri: str
    champion_version: str
    champion_run_id: str
    artifacts_dir: Path
    server: RunningModelServer


@pytest.fixture(scope="module")
def old_installation(
    tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path
) -> Iterator[OldInstallation]:
    import mlflow

    from core.registry import ModelRegistry

    root = tmp_path_factory.mktemp("old-installation")
    tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        experiment = mlflow.create_experiment("old", artifact_location=(root / "art").as_uri())
        model_uri = log_model_dir(experiment, tiny_model_dir)
    finally:
        mlflow.set_tracking_uri(previous)
    registry = ModelRegistry(tracking_uri, OLD_MODEL_NAME)
    champion = registry.promote(registry.register(model_uri).version, by="old-pipeline")
    # The old served-model configuration: the champion's version on the artifacts volume
    # (what `python -m bentos.fetch_model` put there), served_model_version naming it.
    volume = root / "model-artifacts"
    fetch_model_version(tracking_uri, OLD_MODEL_NAME, champion.version, volume)
    server = RunningModelServer(
        None,
        root / "logs",
        environment={
            "QUANTIS_MODEL_ARTIFACTS_DIR": str(volume),
            "QUANTIS_SERVED_MODEL_VERSION": champion.version,
        },
    ).start()
    try:
        yield OldInstallation(tracking_uri, champion.version, champion.run_id, volume, server)
    finally:
        server.stop()


def _tables(engine) -> dict:
    metadata = MetaData()
    metadata.reflect(engine)
    return metadata.tables


def _populate(url: str, installation: OldInstallation) -> tuple[str, dict[str, list]]:
    """The old schema's rows: series with their history, a stored forecast each (and its
    target date), quarantined rows and their file, the active deployment record of the served
    champion, an admin API key and an audit entry. Returns the
    key and each series' history as the old API sent it to the model server."""
    panel = tiny_panel()
    secret = load_settings().secret_key.get_secret_value()
    prefix = f"{KEY_MARKER}_{secrets.token_hex(4)}"
    key = f"{prefix}_{secrets.token_urlsafe(16)}"
    histories = {}
    engine = make_engine(url)
    try:
        t = _tables(engine)
        with engine.begin() as connection:
            for name, rows in panel.groupby("unique_id", sort=True):
                series_id = connection.execute(
                    t["series"].insert().returning(t["series"].c.id),
                    {"name": str(name), "frequency": "D", "metadata": {}, "created_at": SINCE},
                ).scalar_one()
                stamps = [ts.to_pydatetime().replace(tzinfo=UTC) for ts in rows["ds"]]
                values = [float(v) for v in rows["y"]]
                connection.execute(
                    t["observations"].insert(),
                    [{"series_id": series_id, "ts": ts, "value": value, "updated_at": SINCE}
                     for ts, value in zip(stamps, values, strict=True)],
                )  # fmt: skip
                forecast_id = connection.execute(
                    t["forecasts"].insert().returning(t["forecasts"].c.id),
                    {"request_id": "old", "series_id": series_id, "model_name": OLD_MODEL_NAME,
                     "model_version": installation.champion_version, "horizon": 1, "levels": [],
                     "created_at": SINCE, "payload": [{"ds": "2024-05-01", "yhat": 1.0}],
                     "kind": "batch"},
                ).scalar_one()  # fmt: skip
                connection.execute(
                    t["forecast_targets"].insert(),
                    {"forecast_id": forecast_id, "step": 1, "ds": stamps[-1] + timedelta(days=1),
                     "origin": stamps[-1], "yhat": 1.0, "lo": {}, "hi": {}},
                )  # fmt: skip
                histories[series_id] = {
                    "id": str(name),
                    "timestamps": [ts.isoformat() for ts in stamps],
                    "values": values,
                }
            connection.execute(
                t["quarantine"].insert(),
                [{"source": "old.csv", "reason": "bad", "created_at": SINCE}] * 2,
            )
            connection.execute(
                t["landing_files"].insert(),
                {"key": "old.csv", "sha256": "0" * 64, "size_bytes": 1, "rows": 2,
                 "status": "quarantined", "recorded_at": SINCE},
            )  # fmt: skip
            connection.execute(
                t["audit_log"].insert(),
                {"at": SINCE, "actor": "old-admin", "action": "forecast.create", "details": {}},
            )
            connection.execute(
                t["model_deployments"].insert(),
                {"model_name": OLD_MODEL_NAME, "model_version": installation.champion_version,
                 "target": "local", "endpoint_url": installation.server.url, "status": "active",
                 "since": SINCE, "activated_at": SINCE, "details": {}},
            )  # fmt: skip
            connection.execute(
                t["api_keys"].insert(),
                {"name": "old-admin", "prefix": prefix,
                 "hash": hash_api_key(key, secret), "scopes": ["read", "write", "admin"],
                 "created_at": SINCE},
            )  # fmt: skip
    finally:
        engine.dispose()
    return key, histories


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        t = _tables(engine)
        with engine.connect() as connection:
            return {
                name: connection.scalar(select(func.count()).select_from(t[name]))
                for name in TABLES
            }
    finally:
        engine.dispose()


def _series_by_dataset(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        t = _tables(engine)
        query = (
            select(t["datasets"].c.name, func.count(t["series"].c.id))
            .select_from(t["datasets"].outerjoin(t["series"]))
            .group_by(t["datasets"].c.name)
        )
        with engine.connect() as connection:
            return dict(connection.execute(query).all())
    finally:
        engine.dispose()


def _served(server: RunningModelServer, histories: list[dict], dataset: str | None) -> tuple:
    """(model version, forecasts) of the model server for these histories; `dataset=None`
    asks as the API before datasets did (no `dataset` in the body)."""
    body = {"series": histories, "horizon": HORIZON, "levels": LEVELS}
    if dataset is not None:
        body["dataset"] = dataset
    answer = httpx.post(f"{server.url}/forecast", json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.headers["X-Quantis-Model-Version"], _points(answer.json())


def _points(series: list[dict]) -> dict[str, list[tuple]]:
    """Series name -> (date, yhat, lower, upper) per step, whatever the payload's date format."""
    return {
        entry["id"]: [
            (str(p["ds"])[:10], p["yhat"], dict(p["lower"]), dict(p["upper"]))
            for p in entry["points"]
        ]
        for entry in series
    }


@pytest.mark.parametrize("kind", KINDS)
def test_an_installation_from_before_datasets_upgrades_with_nothing_lost(
    fresh_db_url, kind, old_installation: OldInstallation, tmp_path, monkeypatch
):
    url = fresh_db_url(kind)
    migrate.upgrade(url, PREVIOUS_HEAD)
    key, histories = _populate(url, old_installation)
    counts_before = _counts(url)
    assert all(counts_before.values()), counts_before  # every table compared holds rows
    served_before = _served(old_installation.server, list(histories.values()), None)
    assert served_before[0] == old_installation.champion_version

    # The upgrade, as a user runs it: their settings, `quantis db upgrade`.
    monkeypatch.setenv("QUANTIS_DATABASE_URL", url)
    monkeypatch.setenv("QUANTIS_MLFLOW_TRACKING_URI", old_installation.tracking_uri)
    monkeypatch.setenv("QUANTIS_MODEL_SERVER_URL", UNREACHABLE_URL)
    get_settings.cache_clear()
    upgraded = CliRunner().invoke(quantis_cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert migrate.current(url) == migrate.head()
    settings = get_settings()

    # Nothing lost, and every series is the `default` dataset's.
    assert _counts(url) == counts_before
    assert _series_by_dataset(url) == {"default": len(histories)}

    # `default`'s champion is the old champion: what `quantis up` decides by ...
    champion = champion_data(settings, "default")
    assert champion is not None, "the upgrade lost the champion: `quantis up` would retrain"
    assert champion.version == old_installation.champion_version
    # ... and a restarted model server (same served-model settings) loads that same version.
    source = choose_model_source(
        load_settings(
            model_artifacts_dir=old_installation.artifacts_dir,
            served_model_version=old_installation.champion_version,
        )
    )
    restarted = initial_datasets(source.directory, source.description, settings)
    assert restarted["default"][0] == (
        old_installation.artifacts_dir / OLD_MODEL_NAME / old_installation.champion_version
    )

    # The served champion answers `default`'s requests as before, asked by dataset ...
    assert _served(old_installation.server, list(histories.values()), "default") == served_before

    # ... and through the API, with the key from before the upgrade, reaching the server by the
    # deployment record from before the upgrade.
    options = ApiOptions(dagster_url=UNREACHABLE_URL, frontend_dir=tmp_path / "no-frontend")
    with TestClient(create_app(settings, options), raise_server_exceptions=False) as client:
        auth = {"Authorization": f"Bearer {key}"}
        dataset = client.get("/api/v1/datasets/default", headers=auth)
        assert dataset.status_code == 200, dataset.text
        assert (dataset.json()["series"], dataset.json()["frequency"]) == (len(histories), "D")
        registry = client.get("/api/v1/models", params={"dataset": "default"}, headers=auth)
        assert registry.status_code == 200, registry.text
        assert registry.json()["champion"] == old_installation.champion_version
        (served,) = [v for v in registry.json()["versions"] if "champion" in v["aliases"]]
        assert served["run_id"] == old_installation.champion_run_id
        forecast = client.post(
            "/api/v1/forecasts",
            json={"series_ids": list(histories), "horizon": HORIZON, "levels": LEVELS},
            headers=auth,
        )
    assert forecast.status_code == 201, forecast.text
    body = forecast.json()
    assert (body["model_name"], body["model_version"]) == (
        OLD_MODEL_NAME, old_installation.champion_version,
    )  # fmt: skip
    by_name = {histories[f["series_id"]]["id"]: f for f in body["forecasts"]}
    assert (
        _points([{"id": name, "points": f["points"]} for name, f in by_name.items()])
        == (served_before[1])
    )
