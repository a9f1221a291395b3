"""A real stack for the browser test: a seeded database and MLflow registry, and the REST API
as its own process (uvicorn) serving the built page beside the model server.

The data is the tiny model's own panel shape (`served_model.tiny_panel`), so the model
server can forecast every seeded series; the covariate dataset is the one the session's model
server serves a covariate model for (`served_model.retail_split`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from served_model import (
    COVARIATE_DATASET,
    COVARIATE_HORIZON,
    FREQ,
    REPO_ROOT,
    retail_split,
    tiny_panel,
)

from core.datasets import DEFAULT_DATASET, DatasetConfig
from core.db.engine import make_engine, session_scope
from core.db.migrate import upgrade
from core.db.repositories.api_keys import create_api_key
from core.db.repositories.covariates import store_covariates
from core.db.repositories.datasets import create_dataset
from core.db.repositories.observations import upsert_panel
from core.db.repositories.series import get_series_by_name
from core.mlflow_names import METRIC_IMPORTANCE_PREFIX, registered_model_name
from core.processes import (
    ManagedProcess,
    free_port,
    log_tail,
    start_process,
    stop_process_group,
    wait_until_healthy,
)
from core.registry import ModelRegistry
from core.settings import Settings

__all__ = [
    "CovariateSeries",
    "RunningApi",
    "SeededData",
    "api_environment",
    "seed_covariate_dataset",
    "seed_database",
    "seed_dataset",
    "seed_registry",
    "served_importance",
]

UNREACHABLE_URL = "http://127.0.0.1:9"  # the discard port: no Dagster answers there


@dataclass(frozen=True)
class SeededData:
    admin_key: str
    read_key: str
    series_count: int
    series_name: str  # the series the browser test opens
    next_timestamp: str  # the step after its last observation, as an ISO date
    last_value: float


def seed_database(settings: Settings, n_series: int, length: int) -> SeededData:
    """Migrate the settings' database, load a panel and create an admin and a read key."""
    upgrade(settings.database_url)
    panel = tiny_panel(n_series=n_series, length=length)
    # The series the page test opens is in the ten thousands: five-digit y-axis labels.
    name = max(panel["unique_id"])
    panel.loc[panel["unique_id"] == name, "y"] *= 100
    secret = settings.secret_key.get_secret_value()
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            upsert_panel(session, panel, frequency=FREQ)
            _, admin_key = create_api_key(
                session, name="e2e-admin", scopes=["admin"], secret_key=secret
            )
            _, read_key = create_api_key(
                session, name="e2e-read", scopes=["read"], secret_key=secret
            )
    finally:
        engine.dispose()
    rows = panel[panel["unique_id"] == name].sort_values("ds")
    last = pd.Timestamp(rows["ds"].iloc[-1])
    return SeededData(
        admin_key=admin_key,
        read_key=read_key,
        series_count=panel["unique_id"].nunique(),
        series_name=name,
        next_timestamp=(last + pd.tseries.frequencies.to_offset(FREQ)).date().isoformat(),
        last_value=round(float(rows["y"].iloc[-1]), 3),
    )


def seed_dataset(settings: Settings, name: str, n_series: int, length: int) -> list[str]:
    """A second dataset (after `seed_database`) of the same daily shape, its series named
    `<name>_<n>` so the page shows which dataset it lists; their names, sorted."""
    panel = tiny_panel(n_series=n_series, length=length, seed=7)
    renamed = {old: f"{name}_{i + 1}" for i, old in enumerate(sorted(panel["unique_id"].unique()))}
    panel["unique_id"] = panel["unique_id"].map(renamed)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            dataset = create_dataset(session, DatasetConfig(name=name, frequency=FREQ, horizon=7))
            upsert_panel(session, panel, frequency=FREQ, dataset_id=dataset.id)
    finally:
        engine.dispose()
    return sorted(panel["unique_id"].unique())


@dataclass(frozen=True)
class CovariateSeries:
    """A series of the covariate dataset, as seeded: history up to the horizon, its covariate
    values over the history and the horizon."""

    dataset: str
    series_id: int
    series_name: str
    horizon_dates: list[str]  # the dates its forecast covers, as ISO dates
    promo_off: list[str]  # those of them without a promotion in the stored values


def seed_covariate_dataset(settings: Settings, series_name: str = "p000") -> CovariateSeries:
    """The covariate dataset (after `seed_database`): the served covariate model's training
    history as observations, its covariates stored (static region, promo and price over the
    history and the horizon's dates), as an ingestion would leave them."""
    retail, history, ahead = retail_split()
    config = DatasetConfig(
        name=COVARIATE_DATASET,
        frequency=FREQ,
        horizon=COVARIATE_HORIZON,
        covariates=retail.covariates,
    )
    stored = pd.concat([history, ahead])[["unique_id", "ds", "promo", "price", "region"]]
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            dataset = create_dataset(session, config)
            observations = history[["unique_id", "ds", "y"]]
            upsert_panel(session, observations, frequency=FREQ, dataset_id=dataset.id)
            store_covariates(session, stored, config.covariates, dataset_id=dataset.id)
            series_id = get_series_by_name(session, series_name, dataset_id=dataset.id).id
    finally:
        engine.dispose()
    own = ahead[ahead["unique_id"] == series_name].sort_values("ds")
    return CovariateSeries(
        dataset=COVARIATE_DATASET,
        series_id=series_id,
        series_name=series_name,
        horizon_dates=[d.date().isoformat() for d in own["ds"]],
        promo_off=[d.date().isoformat() for d in own.loc[own["promo"] == 0, "ds"]],
    )


def seed_registry(
    settings: Settings,
    artifacts: Path,
    mase: list[float],
    naive_mase: float,
    dataset: str = DEFAULT_DATASET,
    importance: dict[str, float] | None = None,
) -> None:
    """Register one version per MASE figure (with a training run holding its metrics and, when
    given, feature-group `importance` shares as training logs them) in the dataset's registered
    model and make version 1 the champion, as the pipeline would."""
    model_name = registered_model_name(settings.registered_model_name, dataset)
    registry = ModelRegistry(settings.mlflow_tracking_uri, model_name)
    client = registry.client
    experiment = client.create_experiment(f"e2e-{dataset}", artifact_location=artifacts.as_uri())
    client.create_registered_model(registry.model_name)
    for figure in mase:
        run = client.create_run(experiment)
        client.log_metric(run.info.run_id, "backtest_mase", figure)
        client.log_metric(run.info.run_id, "backtest_seasonal_naive_mase", naive_mase)
        for group, share in (importance or {}).items():
            client.log_metric(run.info.run_id, f"{METRIC_IMPORTANCE_PREFIX}{group}", share)
        client.set_terminated(run.info.run_id)
        version = client.create_model_version(
            registry.model_name, source=str(artifacts / "model"), run_id=run.info.run_id
        )
        decision = {"promote": figure < naive_mase, "reason": "compared with seasonal naive"}
        registry.record_decision(version.version, decision | {"challenger_mase": figure})
    registry.promote("1", by="e2e-seed")


def served_importance(model_dir: Path) -> dict[str, float]:
    """Feature group -> share of split gain of the model the model server serves, as the
    training pipeline logs it to the version's run."""
    from models.artifact import load_model_dir

    model, _ = load_model_dir(model_dir)
    importance = model.feature_importance()
    return {str(g): float(s) for g, s in importance[["group", "share"]].itertuples(index=False)}


@dataclass
class RunningApi:
    """`uvicorn --factory api.main:create_app` on a free port with the given settings."""

    environment: dict[str, str]
    log_dir: Path
    port: int = 0
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 90.0) -> RunningApi:
        self.port = self.port or free_port()
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        # Only the settings given here: none of the developer's QUANTIS_* variables.
        inherited = {k: v for k, v in os.environ.items() if not k.upper().startswith("QUANTIS_")}
        self.process = start_process(
            command,
            self.log_dir / f"api-{self.port}.log",
            env={**inherited, **self.environment},
            cwd=REPO_ROOT,
        )
        if not wait_until_healthy(f"{self.url}/health", timeout_s=timeout_s, pid=self.process.pid):
            tail = log_tail(self.process.log_path)
            self.stop()
            raise RuntimeError(f"the API did not start:\n{tail}")
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process.pid)
            self.process = None


def api_environment(settings: Settings, frontend_dir: Path, secrets_dir: Path) -> dict[str, str]:
    """Environment variables that give the API process exactly these settings."""
    return {
        "QUANTIS_HOME": str(settings.home),
        "QUANTIS_SECRETS_DIR": str(secrets_dir),
        "QUANTIS_DATABASE_URL": settings.database_url,
        "QUANTIS_MODEL_SERVER_URL": settings.model_server_url,
        "QUANTIS_MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri,
        "QUANTIS_MLFLOW_ARTIFACT_ROOT": settings.mlflow_artifact_root,
        "QUANTIS_SECRET_KEY": settings.secret_key.get_secret_value(),
        "QUANTIS_FRONTEND_DIR": str(frontend_dir),
        "QUANTIS_DAGSTER_URL": UNREACHABLE_URL,
        "QUANTIS_API_RATE_LIMIT_PER_MINUTE": "100000",
        "QUANTIS_API_RATE_LIMIT_BURST": "10000",
    }
