"""The one typed settings object of Quantis.

Precedence, highest first: keyword arguments > `QUANTIS_*` environment variables >
secrets folder (`QUANTIS_SECRETS_DIR`, one file per field) > `config/<env>.yaml` >
`config/base.yaml` > defaults. Field names are flat so that the same names serve as
environment variables in compose files, Kubernetes ConfigMaps/Secrets and Helm values.
Defaults derived from `home` follow a changed `home`.
"""

from __future__ import annotations

import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url

from core.config_sources import (
    ENVIRONMENTS,
    SecretsDirSource,
    YamlFileSource,
    config_dir,
    secrets_dir,
)

__all__ = [
    "DEV_DATABASE_PASSWORD",
    "DEV_SECRET_KEY",
    "ENV_PREFIX",
    "REPO_ROOT",
    "Settings",
    "describe_sources",
    "get_settings",
    "load_settings",
]

ENV_PREFIX = "QUANTIS_"
REPO_ROOT = Path(__file__).resolve().parent.parent
# Development-only values: accepted in `dev`, refused in `staging` and `prod`.
DEV_SECRET_KEY = "quantis-dev-insecure-secret-key"
DEV_DATABASE_PASSWORD = "quantis"
_PROTECTED_ENVS = ("staging", "prod")
_MASK = "**********"


def _home(data: dict[str, Any]) -> Path:
    return data.get("home") or (REPO_ROOT / ".quantis")


def _absolute(path: Path) -> Path:
    return (Path.cwd() / path.expanduser()).resolve() if not path.is_absolute() else path


def _absolute_location(value: str) -> str:
    """A URL is kept as is; a plain relative path is made absolute against the cwd."""
    return value if "://" in value else str(_absolute(Path(value)))


class Settings(BaseSettings):
    """Every knob of Quantis; see the module docstring for where values come from."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        case_sensitive=False,
        extra="forbid",
        validate_default=True,
        # Validation errors would otherwise echo the raw input, secrets included.
        hide_input_in_errors=True,
    )

    env: Literal["dev", "staging", "prod"] = Field(
        "dev", description="Deployment environment; picks config/<env>.yaml."
    )
    home: Path = Field(
        default_factory=lambda: REPO_ROOT / ".quantis",
        description="Folder for all local state (SQLite files, objects, MLflow, Dagster).",
    )
    database_url: str = Field(
        default_factory=lambda data: f"sqlite:///{_home(data) / 'quantis.db'}",
        description="SQLAlchemy URL of the operational database (SQLite or PostgreSQL).",
    )
    database_password: SecretStr | None = Field(
        None,
        description="Password put into database_url (and mlflow_backend_store_uri) when that "
        "URL has none (from a Secret).",
    )
    secret_key: SecretStr = Field(
        SecretStr(DEV_SECRET_KEY),
        description="Key for hashing API keys and signing; must be set in staging/prod.",
    )
    object_store_url: str = Field(
        default_factory=lambda data: f"file://{_home(data) / 'objects'}",
        description="Object storage root: file://<folder>, a plain folder, or s3://bucket/prefix.",
    )
    s3_endpoint_url: str | None = Field(
        None, description="Custom S3 endpoint (MinIO, moto); empty for AWS."
    )
    landing_url: str = Field(
        default_factory=lambda data: str(_home(data) / "landing"),
        description="Where CSV/Parquet files land for ingestion: a folder or s3://bucket/prefix.",
    )
    landing_chunk_rows: int = Field(
        1_000_000,
        ge=1,
        description="Rows of landing files read, validated and staged at a time: a batch of "
        "new files with more rows is read in chunks of this many, so a file larger than memory "
        "lands (docs/datasets.md, Large files); memory follows this number, not the file's size. "
        "The dataset's panel snapshot is read, screened and written in groups of whole series "
        "of at most this many rows too.",
    )
    mlflow_tracking_uri: str = Field(
        default_factory=lambda data: f"sqlite:///{_home(data) / 'mlflow' / 'mlflow.db'}",
        description="MLflow tracking URI (backend store or server URL).",
    )
    mlflow_artifact_root: str = Field(
        default_factory=lambda data: str(_home(data) / "mlflow" / "artifacts"),
        description="Where MLflow stores artifacts: a folder or s3://bucket/prefix.",
    )
    mlflow_backend_store_uri: str | None = Field(
        None,
        description="The MLflow server's backend store (database URL) for backups, when "
        "mlflow_tracking_uri is a server URL; unset = mlflow_tracking_uri.",
    )
    registered_model_name: str = Field(
        "quantis-forecaster", description="MLflow registered model name of the forecaster."
    )
    dagster_home: Path = Field(
        default_factory=lambda data: _home(data) / "dagster",
        description="DAGSTER_HOME for the local Dagster instance.",
    )
    model_server_url: str = Field(
        "http://127.0.0.1:8001", description="Base URL the API uses to reach the model server."
    )
    model_server_timeout_s: float = Field(
        10.0, gt=0, description="Timeout in seconds of one call to the model server."
    )
    api_host: str = Field("127.0.0.1", description="Address the REST API binds to.")
    api_port: int = Field(8000, ge=1, le=65535, description="Port the REST API listens on.")
    model_server_host: str = Field("127.0.0.1", description="Address the model server binds to.")
    model_server_port: int = Field(
        8001, ge=1, le=65535, description="Port the model server listens on."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="Log level of every Quantis process."
    )
    deploy_target: Literal["local", "kubernetes"] = Field(
        "local", description="Where model servers are rolled out: local process or Kubernetes."
    )
    model_server_image: str = Field(
        "quantis/model-server",
        description="Image repository (no tag) of the model server on Kubernetes.",
    )
    model_server_image_tag: str = Field(
        "latest",
        description="Tag of the model-server image the Kubernetes roll-out sets (the release).",
    )
    model_artifacts_dir: Path | None = Field(
        None,
        description="Folder (a mounted volume) the model server loads the model from, one "
        "sub-folder per registered version (<dir>/<registered_model_name>/<version>/).",
    )
    served_model_version: str | None = Field(
        None,
        description="Registered version the model server loads from model_artifacts_dir; "
        "unset = the model baked into the Bento.",
    )
    served_dataset_versions: dict[str, str] = Field(
        default_factory=dict,
        description="The champions the model server serves besides the `default` dataset's: "
        "dataset name -> registered version of that dataset's model, each loaded from "
        "<model_artifacts_dir>/<registered_model_name>-<dataset>/<version>/ (JSON in "
        "QUANTIS_SERVED_DATASET_VERSIONS). The roll-out of one dataset changes its entry only.",
    )
    # --- containers (issue 12): the frontend's API upstream and the GPU model server ---
    api_url: str = Field(
        "http://127.0.0.1:8000",
        description="Base URL of the REST API for its clients: the frontend's nginx proxies "
        "/api, /health and /metrics there (and Vite's dev server does).",
    )
    model_server_gpu: bool = Field(
        False,
        description="The model server declares one GPU to BentoML (set by the -gpu image).",
    )
    kubernetes_namespace: str = Field(
        "quantis", description="Kubernetes namespace of the Quantis workloads."
    )
    executor: Literal["in_process", "multiprocess", "k8s"] = Field(
        "in_process",
        description="How Dagster runs the steps of a run: in_process (one process), "
        "multiprocess (a process per step) or k8s (a pod per step, dagster-k8s).",
    )
    executor_max_concurrent: int = Field(
        2, ge=1, description="Steps run at once by the multiprocess executor."
    )
    train_device: Literal["cpu", "gpu", "auto"] = Field(
        "auto", description="Device for training: cpu, gpu, or auto (gpu when one is found)."
    )
    train_node_selector: dict[str, str] = Field(
        default_factory=lambda: {"quantis.io/pool": "gpu-spot"},
        description="Node selector of the training pod on Kubernetes (JSON in env vars).",
    )
    train_gpu_toleration_key: str = Field(
        "nvidia.com/gpu", description="Taint key the training pod tolerates on GPU nodes."
    )
    train_gpu_limit: int = Field(1, ge=0, description="GPUs requested by the training pod.")
    train_jobs: int = Field(
        2,
        ge=1,
        description="Worker processes the training and backtest steps estimate the statistical "
        "members' series with (ETS, Theta); 1: in the step's own process. Match it to the CPUs "
        "a training step gets (LightGBM's threads are `num_threads` in the model config).",
    )
    # Where training and its backtests compute (docs/compute.md). A Dask scheduler address
    # (tcp://host:8786, tls://...) connects to a running cluster.
    compute: str = Field(
        "in_process",
        description="in_process (the step's own process), local_cluster (a Dask LocalCluster "
        "started for the step), kubernetes (a DaskCluster per step through the dask-kubernetes "
        "operator, workers on the training pod's node pool) or a Dask scheduler address.",
    )
    compute_workers: int = Field(
        2, ge=1, description="Dask workers a cluster started for a step gets."
    )
    compute_threads_per_worker: int = Field(
        1, ge=1, description="Threads per Dask worker (1: one partition at a time per worker)."
    )
    compute_worker_memory: str = Field(
        "8Gi", description="Memory request and limit of a Kubernetes Dask worker (and scheduler)."
    )
    compute_worker_image: str = Field(
        "quantis/dagster:latest",
        description="Image of the Kubernetes Dask scheduler and workers: the training image.",
    )
    compute_namespace: str = Field("quantis", description="Namespace of per-step DaskClusters.")
    compute_lightgbm: Literal["one_worker", "data_parallel"] = Field(
        "one_worker",
        description="On a cluster LightGBM trains on one worker from every part's feature rows "
        "(the same trees as in one process) or data-parallel with lightgbm.dask.",
    )
    promotion_margin: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Relative error improvement a challenger needs over the champion.",
    )
    backtest_reuse_fits: bool = Field(
        True,
        description="The promotion backtest fits each member of the combined model once per "
        "distinct training frame, shared by the windows, their nested selection backtests and "
        "the champion (same scores as refitting; false: refit every model at every window).",
    )
    batch_forecast_shards: int = Field(
        4,
        ge=1,
        description="Series shards of the batch_forecasts asset (its static partitions); on "
        "Kubernetes each shard runs in its own pod.",
    )
    batch_forecast_write_batch: int = Field(
        5000, ge=1, description="Forecast rows per executemany batch where COPY is not used."
    )
    batch_forecast_after_rollout: bool = Field(
        True,
        description="Start the batch forecasts of a dataset's shards after each roll-out of "
        "its champion (the sensor's default status; each dataset can also turn it off with "
        "its batch_forecasts_after_rollout).",
    )
    batch_forecast_cron: str = Field(
        "0 2 * * *",
        description="Cron of the nightly batch-forecast schedule (off unless switched on).",
    )
    batch_forecast_nightly: bool = Field(
        False, description="Run the nightly batch-forecast schedule (its default status)."
    )
    dagster_url: str = Field(
        "http://127.0.0.1:3000",
        description="Dagster webserver the API asks about runs and asks to launch retraining.",
    )
    api_max_body_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="Largest request body the API reads (bytes); a larger one is answered 413 "
        "before it is read. The frontend's nginx, the Ingress and compose take the same value.",
    )
    api_rate_limit_per_minute: float = Field(
        600.0, gt=0, description="Requests per minute one API key may make (sustained)."
    )
    api_rate_limit_burst: float = Field(
        100.0, gt=0, description="Requests one API key may make at once above the rate."
    )
    api_rate_limit_storage_url: str = Field(
        "memory://",
        description="Where the API keeps its rate-limit counters: `memory://` (each process on "
        "its own) or a shared store all workers and replicas count in, e.g. "
        "`redis://redis:6379/0` (any storage URL of the `limits` library).",
    )
    api_rate_limit_namespace: str = Field(
        "quantis",
        min_length=1,
        description="Prefix of the rate-limit counters in a shared store (one per platform).",
    )
    retrain_new_data_share: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="Share of new rows in one ingestion (of the whole panel) that triggers retraining.",
    )
    max_bad_row_share: float = Field(
        0.05, ge=0.0, le=1.0, description="Share of bad rows above which a run stops."
    )
    value_min: float | None = Field(
        None,
        description="Lowest plausible observation value; smaller values are quarantined "
        "(unset = no lower bound).",
    )
    value_max: float | None = Field(
        None,
        description="Highest plausible observation value; larger values are quarantined "
        "(unset = no upper bound).",
    )
    min_history: int = Field(
        0,
        ge=0,
        description="Fewest observations a series needs to be trained on; 0 = two seasons "
        "plus one point.",
    )
    scratch_dir: Path = Field(
        default_factory=lambda data: _home(data) / "work" / "steps",
        description="Where each pipeline step gets its private scratch folder (removed when "
        "the step ends); an emptyDir on Kubernetes.",
    )
    forecast_default_horizon: int = Field(
        14,
        ge=1,
        description="The `default` dataset's horizon when `quantis db upgrade` creates it; a "
        "forecast request that names none gets its dataset's horizon.",
    )
    backup_retention_daily: int = Field(7, ge=0, description="Daily backups kept.")
    backup_retention_weekly: int = Field(4, ge=0, description="Weekly backups kept.")
    backup_retention_monthly: int = Field(12, ge=0, description="Monthly backups kept.")
    monitoring_start_date: date = Field(
        date(2000, 1, 1),
        description="First day of the daily live-accuracy and drift partitions (the day an "
        "actual is timestamped).",
    )
    monitoring_lookback_days: int = Field(
        7,
        ge=1,
        description="Days the daily monitoring schedule re-scores, so actuals that arrive late "
        "are counted.",
    )
    accuracy_degradation_factor: float = Field(
        1.5,
        ge=1.0,
        description="Live MASE above this many times the backtest MASE fails the accuracy "
        "check (and counts as a degraded day for the retrain sensor).",
    )
    coverage_tolerance: float = Field(
        0.15,
        gt=0.0,
        lt=1.0,
        description="Largest distance of live interval coverage from its nominal level (0.8 "
        "for 80%) before the coverage check fails.",
    )
    retrain_degraded_days: int = Field(
        3,
        ge=1,
        description="Consecutive scored days of degraded champion accuracy after which the "
        "sensor requests a retrain.",
    )
    drift_window: int = Field(
        0,
        ge=0,
        description="Recent observations compared with the history before them; 0 = one season.",
    )
    drift_reference_windows: int = Field(
        4,
        ge=0,
        description="The drift reference: this many recent windows before the recent one "
        "(0 = all history, where any long trend reads as drift).",
    )
    drift_level_threshold: float = Field(
        3.0,
        gt=0.0,
        description="|level shift| (in reference standard deviations) above which a series "
        "drifted.",
    )
    drift_spread_threshold: float = Field(
        2.0,
        gt=1.0,
        description="Spread ratio above this, or below its inverse, means a series drifted.",
    )
    stale_periods: int = Field(
        3, ge=1, description="Periods without a new observation after which a series is stale."
    )

    @field_validator("compute")
    @classmethod
    def _check_compute(cls, value: str) -> str:
        if value in ("in_process", "local_cluster", "kubernetes") or "://" in value:
            return value
        raise ValueError(
            "compute must be in_process, local_cluster, kubernetes or a scheduler address "
            f"(tcp://host:8786), got {value!r}"
        )

    @field_validator("home", "dagster_home", "scratch_dir")
    @classmethod
    def _resolve_path(cls, value: Path) -> Path:
        return _absolute(value)

    @field_validator("object_store_url", "landing_url", "mlflow_artifact_root")
    @classmethod
    def _resolve_location(cls, value: str) -> str:
        return _absolute_location(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_value_bounds(self) -> Settings:
        if None not in (self.value_min, self.value_max) and self.value_min > self.value_max:
            raise ValueError(
                f"value_min ({self.value_min}) is above value_max ({self.value_max}): no value "
                "could pass; swap them or unset one"
            )
        return self

    @model_validator(mode="after")
    def _apply_database_password(self) -> Settings:
        if self.database_password is None:
            return self
        password = self.database_password.get_secret_value()
        self.database_url = _with_password(self.database_url, password)
        if self.mlflow_backend_store_uri is not None:
            # The same server and user in our deployments (the backup dumps both).
            self.mlflow_backend_store_uri = _with_password(self.mlflow_backend_store_uri, password)
        return self

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> Settings:
        if self.env not in _PROTECTED_ENVS:
            return self
        if self.secret_key.get_secret_value() == DEV_SECRET_KEY:
            raise ValueError(
                f"env={self.env} refuses the development secret key: set {ENV_PREFIX}SECRET_KEY "
                "(environment variable or a `secret_key` file in the secrets folder)"
            )
        if make_url(self.database_url).password == DEV_DATABASE_PASSWORD:
            raise ValueError(
                f"env={self.env} refuses the development database password: set "
                f"{ENV_PREFIX}DATABASE_PASSWORD (or a `database_password` secrets file)"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        init_kwargs = getattr(init_settings, "init_kwargs", {})
        env_name = init_kwargs.get("env") or os.environ.get(f"{ENV_PREFIX}ENV") or "dev"
        layers: list[PydanticBaseSettingsSource] = [
            init_settings,
            env_settings,
            SecretsDirSource(settings_cls, secrets_dir(), ENV_PREFIX),
        ]
        # An unknown env name is reported by field validation, not as a missing file.
        if env_name in ENVIRONMENTS:
            layers.append(YamlFileSource(settings_cls, config_dir() / f"{env_name}.yaml"))
        layers.append(YamlFileSource(settings_cls, config_dir() / "base.yaml"))
        return tuple(layers)

    @property
    def bentoml_home(self) -> Path:
        """The BentoML store (BENTOML_HOME) under the home: where the pipeline builds its
        Bentos and every `quantis` command looks for them."""
        return self.home / "bentoml"

    def ensure_home(self) -> Settings:
        """Create the local folders these settings point at; URLs elsewhere are left alone."""
        folders = [self.home, self.dagster_home]
        for location in (self.object_store_url, self.landing_url, self.mlflow_artifact_root):
            if location.startswith("file://"):
                folders.append(Path(location.removeprefix("file://")))
            elif "://" not in location:
                folders.append(Path(location))
        for url in (self.database_url, self.mlflow_tracking_uri):
            database = _sqlite_file(url)
            if database is not None:
                folders.append(database.parent)
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        return self

    def redacted_dict(self) -> dict[str, Any]:
        """All values as JSON-friendly data, secrets and URL passwords masked, for display."""
        shown: dict[str, Any] = {}
        for name, value in self.model_dump(mode="python").items():
            if isinstance(value, SecretStr):
                shown[name] = _MASK if value.get_secret_value() else ""
            elif isinstance(value, Path):
                shown[name] = str(value)
            elif isinstance(value, date):
                shown[name] = value.isoformat()
            elif isinstance(value, str) and "://" in value:
                shown[name] = _mask_url_password(value)
            else:
                shown[name] = value
        return shown


def _with_password(url: str, password: str) -> str:
    """`url` with `password` put in, unless it is SQLite or already has one."""
    parsed = make_url(url)
    if parsed.password is not None or parsed.drivername.startswith("sqlite"):
        return url
    return parsed.set(password=password).render_as_string(hide_password=False)


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _mask_url_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:{_MASK}@{host}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def load_settings(**overrides: Any) -> Settings:
    """Build settings afresh (no cache); keyword arguments win over every other source."""
    return Settings(**overrides)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built once; `get_settings.cache_clear()` rebuilds them."""
    return Settings()


def describe_sources(**overrides: Any) -> dict[str, str]:
    """Which source set each field: `init`, `env`, `secrets:<dir>`, a YAML path or `default`."""
    init = InitSettingsSource(Settings, init_kwargs=overrides)
    layers = Settings.settings_customise_sources(
        Settings, init, EnvSettingsSource(Settings), init, init
    )
    origin: dict[str, str] = {}
    for layer in reversed(layers):
        label = _layer_label(layer, init)
        for name in layer():
            if name in Settings.model_fields:
                origin[name] = label
    return {name: origin.get(name, "default") for name in Settings.model_fields}


def _layer_label(layer: PydanticBaseSettingsSource, init: PydanticBaseSettingsSource) -> str:
    if layer is init:
        return "init"
    if isinstance(layer, EnvSettingsSource):
        return "env"
    if isinstance(layer, SecretsDirSource):
        return f"secrets:{layer.directory}"
    if isinstance(layer, YamlFileSource):
        return str(layer.path)
    return type(layer).__name__
