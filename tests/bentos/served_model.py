"""A tiny trained model directory and a real model-server process serving it, for tests.

Shared by the model-server tests (`tests/bentos`), the REST API tests (`tests/api`) and the
monitoring tests, with `register_champion` for a registry holding a champion; the root conftest
puts this folder on sys.path (the suite runs with `--import-mode=importlib`).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from core.processes import (
    ManagedProcess,
    free_port,
    log_tail,
    start_process,
    stop_process_group,
    wait_until_healthy,
)

__all__ = [
    "COVARIATE_DATASET",
    "COVARIATE_HORIZON",
    "FREQ",
    "HORIZON",
    "MODEL_NAME",
    "MODEL_VERSION",
    "REPO_ROOT",
    "SERVED_DATASET",
    "SERVED_DATASET_VERSION",
    "RunningModelServer",
    "build_covariate_model_dir",
    "build_tiny_model_dir",
    "log_model_dir",
    "put_dataset_version",
    "register_champion",
    "retail_split",
    "tiny_panel",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
FREQ, SEASON, HORIZON = "D", 7, 14
MODEL_NAME, MODEL_VERSION = "quantis-forecaster", "7"


def tiny_panel(n_series: int = 6, length: int = 120, seed: int = 4):
    from models.datasets import synthetic_panel

    return synthetic_panel(n_series, length, FREQ, seed=seed)


def build_tiny_model_dir(directory: Path) -> Path:
    """Fit a few-tree LightGBM model with interval calibration and save it as a model dir."""
    from models.artifact import ModelManifest, save_model_dir
    from models.forecaster import LightGBMForecaster

    model = LightGBMForecaster.from_defaults(
        FREQ, SEASON, HORIZON, num_boost_round=20, interval_windows=2
    ).fit(tiny_panel())
    manifest = ModelManifest(
        model_class=type(model).__name__,
        freq=FREQ,
        season_length=SEASON,
        horizon=HORIZON,
        name=MODEL_NAME,
        version=MODEL_VERSION,
    )
    save_model_dir(model, directory, manifest)
    return directory


# The dataset whose champion uses covariates (promo, price, region, US holidays), served by
# the session's model server at version 1 beside `default` and `web`.
COVARIATE_DATASET, COVARIATE_HORIZON = "retail", 7


def retail_split():
    """`(retail, history, horizon)`: a seeded retail panel (`models.datasets.retail_panel`)
    of 4 series, its rows up to `COVARIATE_HORIZON` days before the end (what the covariate
    model is trained on) and the last `COVARIATE_HORIZON` days (their covariates are the
    future values a forecast from the history needs)."""
    import pandas as pd

    from models.datasets import retail_panel

    retail = retail_panel(4, 150, seed=3)
    cutoff = retail.panel["ds"].max() - pd.Timedelta(days=COVARIATE_HORIZON)
    panel = retail.panel
    return retail, panel[panel["ds"] <= cutoff], panel[panel["ds"] > cutoff]


def build_covariate_model_dir(directory: Path) -> Path:
    """Fit a few-tree LightGBM model with every kind of covariate and save it as a model dir
    (`COVARIATE_DATASET`'s version 1)."""
    from models.artifact import ModelManifest, save_model_dir
    from models.config import default_config
    from models.forecaster import LightGBMForecaster

    retail, history, _ = retail_split()
    config = default_config(
        FREQ,
        SEASON,
        COVARIATE_HORIZON,
        covariates=retail.covariates,
        num_boost_round=30,
        interval_windows=1,
    )
    model = LightGBMForecaster(config).fit(history)
    manifest = ModelManifest(
        model_class=type(model).__name__,
        freq=FREQ,
        season_length=SEASON,
        horizon=COVARIATE_HORIZON,
        name=f"{MODEL_NAME}-{COVARIATE_DATASET}",
        version="1",
    )
    save_model_dir(model, directory, manifest)
    return directory


# The second dataset the session's model server serves (from its artifacts volume), besides
# `default`: version 3 served at start, version 4 on the volume for a swap.
SERVED_DATASET, SERVED_DATASET_VERSION = "web", "3"


def put_dataset_version(artifacts: Path, model_dir: Path, dataset: str, version: str) -> Path:
    """`model_dir` stamped as `dataset`'s registered `version` on an artifacts volume."""
    from dataclasses import replace

    from models.artifact import read_manifest, write_manifest

    name = MODEL_NAME if dataset == "default" else f"{MODEL_NAME}-{dataset}"
    target = artifacts / name / version
    shutil.copytree(model_dir, target)
    write_manifest(target, replace(read_manifest(target), name=name, version=version))
    return target


def log_model_dir(experiment_id: str, model_dir: Path) -> str:
    """Log a model directory to MLflow as the training asset does (the pyfunc flavour, in a
    new run of the current tracking URI); returns the logged model's URI."""
    import mlflow

    from models.mlflow_pyfunc import ARTIFACT_KEY, QuantisPythonModel

    with mlflow.start_run(experiment_id=experiment_id):
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=QuantisPythonModel(),
            artifacts={ARTIFACT_KEY: str(model_dir)},
            pip_requirements=[],
        )
    return info.model_uri


@dataclass
class RunningModelServer:
    """`bentoml serve bentos.service:ModelServer` on a free port, stoppable and restartable.

    It serves `model_dir` (`QUANTIS_MODEL_DIR`), or with `model_dir=None` whatever the
    settings in `environment` choose (e.g. a version on the model artifacts volume)."""

    model_dir: Path | None
    log_dir: Path
    port: int = 0
    process: ManagedProcess | None = None
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 120.0) -> RunningModelServer:
        self.port = self.port or free_port()
        bentoml = str(Path(sys.executable).with_name("bentoml"))
        self.process = start_process(
            [bentoml, "serve", "bentos.service:ModelServer", "--port", str(self.port)],
            self.log_dir / f"model-server-{self.port}.log",
            env={**self._model_env(), **self.environment, "BENTOML_DO_NOT_TRACK": "true"},
            cwd=REPO_ROOT,
        )
        healthy = wait_until_healthy(
            f"{self.url}/readyz", timeout_s=timeout_s, pid=self.process.pid
        )
        if not healthy:
            self.stop()
            raise RuntimeError(
                f"model server did not become ready:\n{log_tail(self.process.log_path)}"
            )
        return self

    def _model_env(self) -> dict[str, str]:
        if self.model_dir is None:
            return {}
        # A folder needs no BentoML store, so the server gets a home of its own: every
        # `bentoml serve` empties `<BENTOML_HOME>/prometheus_multiproc_dir` as it starts, which
        # would wipe the metrics of any other model server running on the machine.
        home = self.log_dir / f"bentoml-home-{self.port}"
        return {"QUANTIS_MODEL_DIR": str(self.model_dir), "BENTOML_HOME": str(home)}

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process.pid)
            self.process = None


def register_champion(tracking_uri: str, model_name: str, artifacts: Path, backtest_mase: float):
    """A registered version 1 whose training run holds `backtest_mase` (as the backtest logs
    it), made champion; returns the `ModelRegistry`."""
    from core.mlflow_names import METRIC_BACKTEST_MASE
    from core.registry import ModelRegistry

    registry = ModelRegistry(tracking_uri, model_name)
    client = registry.client
    # One experiment per model, so several datasets' champions can be seeded in one store.
    experiment = client.create_experiment(
        f"seeded {model_name}", artifact_location=artifacts.as_uri()
    )
    run = client.create_run(experiment)
    client.log_metric(run.info.run_id, METRIC_BACKTEST_MASE, backtest_mase)
    client.create_registered_model(model_name)
    client.create_model_version(model_name, source=str(artifacts), run_id=run.info.run_id)
    registry.promote("1", by="test-seed")
    return registry
