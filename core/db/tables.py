"""Schema of the operational database (SQLAlchemy 2 typed declarative).

Changing a table here needs a new migration in `core/db/migrations/versions/`; a test
compares this metadata with the migrated schema on both backends.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.datasets.config import DEFAULT_DATASET
from core.db.types import BigIntId, JsonDocument, NullableJsonDocument, UTCDateTime, utc_now

__all__ = [
    "BACKUP_STATUSES",
    "DEPLOYMENT_STATUSES",
    "FORECAST_KINDS",
    "LANDING_FILE_STATUSES",
    "ApiKey",
    "AuditEntry",
    "BackupRecord",
    "Base",
    "CovariateValue",
    "Dataset",
    "Forecast",
    "ForecastTarget",
    "LandingFile",
    "LiveAccuracy",
    "ModelDeployment",
    "Observation",
    "QuarantinedRow",
    "Series",
    "SeriesDrift",
    "StaticCovariate",
]

# Named constraints let Alembic alter and drop them, SQLite batch mode included.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
DEPLOYMENT_STATUSES = ("starting", "active", "retired", "failed")
BACKUP_STATUSES = ("running", "succeeded", "failed")
LANDING_FILE_STATUSES = ("loaded", "quarantined")
# request: answered an API request; batch: written for every series by batch_forecasts
FORECAST_KINDS = ("request", "batch")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Dataset(Base):
    """One forecasting problem: its name and frequency as columns, the rest of its
    configuration as the validated document of `core.datasets.DatasetConfig`."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    # None until given or inferred at the first ingest; then fixed
    frequency: Mapped[str | None] = mapped_column(String(32))
    config: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class Series(Base):
    """One time series of one dataset, known by a name unique in its dataset (the
    `unique_id` of long-format panels)."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A series that names no dataset goes to `default` (looked up in the INSERT itself).
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"),
        default=select(Dataset.id).where(Dataset.name == DEFAULT_DATASET).scalar_subquery(),
    )
    name: Mapped[str] = mapped_column(String(255))
    frequency: Mapped[str | None] = mapped_column(String(32))
    # `metadata` is reserved on declarative classes, so the attribute is `meta`.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    __table_args__ = (UniqueConstraint("dataset_id", "name", name="uq_series_dataset_id_name"),)


class Observation(Base):
    """One value of one series at one timestamp; (series_id, ts) is the key upserts use."""

    __tablename__ = "observations"

    series_id: Mapped[int] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), primary_key=True
    )
    ts: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    value: Mapped[float] = mapped_column(Float(precision=53))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    # Queries over a time range across series (monitoring, snapshots) use ts alone.
    __table_args__ = (Index("ix_observations_ts", "ts"),)


class StaticCovariate(Base):
    """A static covariate's value for one series (`core.covariates.Covariate`, kind
    `static`): a number (booleans as 0/1) or, for a categorical covariate, a category."""

    __tablename__ = "static_covariates"

    series_id: Mapped[int] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float(precision=53))
    category: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    __table_args__ = (CheckConstraint("(value IS NULL) <> (category IS NULL)", name="one_value"),)


class CovariateValue(Base):
    """A time-varying covariate's value for one series at one timestamp (kind
    `known_in_advance`; future timestamps too): a number (booleans as 0/1) or a category.
    (series_id, ts, name) is the key upserts use."""

    __tablename__ = "covariate_values"

    series_id: Mapped[int] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), primary_key=True
    )
    ts: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float(precision=53))
    category: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    __table_args__ = (CheckConstraint("(value IS NULL) <> (category IS NULL)", name="one_value"),)


class DatasetCovariateValue(Base):
    """A known-in-advance covariate's value for every series of a dataset at one timestamp
    (future ones too): a row landed or posted without a series. A series' own value
    (`CovariateValue`) wins over it."""

    __tablename__ = "dataset_covariate_values"

    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    ts: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float(precision=53))
    category: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    __table_args__ = (CheckConstraint("(value IS NULL) <> (category IS NULL)", name="one_value"),)


class Scenario(Base):
    """A named what-if of one dataset: changes to known-in-advance covariates for chosen
    series and dates (`spec`), and its latest run (`last_run`: the champion version, the
    baseline and scenario forecasts and their difference), re-run against newer champions."""

    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    spec: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    last_run: Mapped[dict[str, Any] | None] = mapped_column(NullableJsonDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("dataset_id", "name", name="uq_scenarios_dataset_id_name"),)


class Forecast(Base):
    """One stored forecast of one series: points with `ds`, `yhat` and `lo`/`hi` per level."""

    __tablename__ = "forecasts"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    model_name: Mapped[str] = mapped_column(String(255))
    model_version: Mapped[str] = mapped_column(String(64))
    horizon: Mapped[int] = mapped_column(Integer)
    levels: Mapped[list[int]] = mapped_column(JsonDocument, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)
    payload: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)
    kind: Mapped[str] = mapped_column(String(16), default="request", server_default="request")
    # the last observation the forecast starts after (its data cut-off); None before 0004
    data_cutoff: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("horizon >= 1", name="horizon_positive"),
        CheckConstraint(_one_of("kind", FORECAST_KINDS), name="kind"),
        # the latest forecast of a series (of one kind) is one index probe
        Index("ix_forecasts_series_kind_created", "series_id", "kind", "created_at"),
    )


class ForecastTarget(Base):
    """One point of a stored forecast, by the moment it targets: what monitoring reads to
    score a day (the day's points only, through the `ds` index), beside the forecast's own
    `payload`, which stays the record the API returns."""

    __tablename__ = "forecast_targets"

    forecast_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("forecasts.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0-based place in payload
    ds: Mapped[datetime] = mapped_column(UTCDateTime())
    # the forecast's first target (its history ended before it), the same on every step
    origin: Mapped[datetime] = mapped_column(UTCDateTime())
    yhat: Mapped[float] = mapped_column(Float(precision=53))
    lo: Mapped[dict[str, float]] = mapped_column(JsonDocument, default=dict)
    hi: Mapped[dict[str, float]] = mapped_column(JsonDocument, default=dict)

    __table_args__ = (Index("ix_forecast_targets_ds", "ds"),)


class ModelDeployment(Base):
    """One rollout of one model version to one target; at most one is active per target."""

    __tablename__ = "model_deployments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(255))
    model_version: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(32))
    endpoint_url: Mapped[str | None] = mapped_column(String(1024))
    bento_tag: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="starting")
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)

    __table_args__ = (
        CheckConstraint(_one_of("status", DEPLOYMENT_STATUSES), name="status"),
        Index(
            "uq_model_deployments_active_target",
            "target",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class ApiKey(Base):
    """An API key; only an HMAC of the key is stored, the prefix finds the candidate row.

    `datasets` limits what the key may see to the datasets of those names (NULL: every
    dataset); a name, not an id, so the limit outlives a dataset deleted and created again
    and never widens by a cascade."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    hash: Mapped[str] = mapped_column(String(128))
    scopes: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    datasets: Mapped[list[str] | None] = mapped_column(NullableJsonDocument, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class AuditEntry(Base):
    """Who did what to which thing, appended and never edited."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(255), index=True)
    target: Mapped[str | None] = mapped_column(String(1024))
    details: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))


class BackupRecord(Base):
    """One backup in the catalog, from start to its final status."""

    __tablename__ = "backup_catalog"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    backup_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="running")
    location: Mapped[str] = mapped_column(String(1024))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)

    __table_args__ = (CheckConstraint(_one_of("status", BACKUP_STATUSES), name="status"),)


class QuarantinedRow(Base):
    """A row rejected by validation, kept as raw text with the reason, never dropped."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    source: Mapped[str] = mapped_column(String(1024))
    series_name: Mapped[str | None] = mapped_column(String(255))
    ts_raw: Mapped[str | None] = mapped_column(Text)
    value_raw: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    expectation: Mapped[str | None] = mapped_column(String(255))
    run_id: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    # None: the row belongs to no dataset (e.g. a file outside every dataset's prefix)
    dataset_id: Mapped[int | None] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )


class LandingFile(Base):
    """A landing file already handled, by key and content hash, so pickup is incremental."""

    __tablename__ = "landing_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(1024), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    rows: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    __table_args__ = (
        UniqueConstraint("key", "sha256", name="uq_landing_files_key_sha256"),
        CheckConstraint(_one_of("status", LANDING_FILE_STATUSES), name="status"),
    )


class LiveAccuracy(Base):
    """How one model version's stored forecasts of one series did against the actuals
    timestamped on one day (a `live_accuracy` partition): the backtest's metrics, live."""

    __tablename__ = "live_accuracy"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    partition_day: Mapped[date] = mapped_column(Date)
    model_name: Mapped[str] = mapped_column(String(255))
    model_version: Mapped[str] = mapped_column(String(64), index=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    # NaN scales (flat or too short history) are stored as NULL.
    mase: Mapped[float | None] = mapped_column(Float(precision=53))
    smape: Mapped[float] = mapped_column(Float(precision=53))
    bias: Mapped[float] = mapped_column(Float(precision=53))
    mae: Mapped[float] = mapped_column(Float(precision=53))
    # Share of actuals inside the interval, keyed by level as a string ("80": 0.75).
    coverage: Mapped[dict[str, float]] = mapped_column(JsonDocument, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    __table_args__ = (
        UniqueConstraint(
            "partition_day",
            "model_name",
            "model_version",
            "series_id",
            name="uq_live_accuracy_partition_version_series",
        ),
        CheckConstraint("points >= 1", name="points_positive"),
        Index("ix_live_accuracy_partition_day", "partition_day"),
    )


class SeriesDrift(Base):
    """Drift and staleness of one series as seen on one day (see `models.drift`)."""

    __tablename__ = "series_drift"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    partition_day: Mapped[date] = mapped_column(Date, index=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    observations: Mapped[int] = mapped_column(Integer)
    level_shift: Mapped[float | None] = mapped_column(Float(precision=53))
    spread_ratio: Mapped[float | None] = mapped_column(Float(precision=53))
    drifted: Mapped[bool] = mapped_column(Boolean)
    last_observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    periods_since_last: Mapped[int] = mapped_column(Integer)
    stale: Mapped[bool] = mapped_column(Boolean)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    __table_args__ = (
        UniqueConstraint("partition_day", "series_id", name="uq_series_drift_partition_series"),
    )
