"""What each pipeline asset hands to the next: small frozen records of references.

On Kubernetes every step runs in its own pod and the steps share nothing but PostgreSQL, the
MLflow server and the object store. So a hand-off names things by where they live there:
object-store keys, MLflow run ids / model URIs / registered versions, dataset fingerprints,
Bento tags and image references. It never holds a path on the local disk, which would name
a file in another pod; constructing a record with one fails at once (`LocalPathError`).

Each record's fields are also its asset metadata (`metadata()`), so the Dagster UI shows what
a materialization holds.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import dagster as dg

__all__ = [
    "BacktestReport",
    "BuiltBento",
    "HandOff",
    "LocalPathError",
    "PanelSnapshot",
    "RegistrationDecision",
    "Rollout",
    "StagedBatch",
    "TrainedModel",
]

# Collections longer than this show in the UI as their size and first entries.
_SHOWN_ENTRIES = 20
_LOCAL_PREFIXES = ("/", "~", "./", "../", "file:", "sqlite:")


class LocalPathError(ValueError):
    """A hand-off was given a path on the local disk instead of a reference."""


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _shown(value: Any) -> Any:
    """A field's value as Dagster metadata."""
    if value is None:
        return "none"
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list) and len(value) > _SHOWN_ENTRIES:
        head = ", ".join(map(str, value[:_SHOWN_ENTRIES]))
        return f"{len(value)} entries: {head}, ..."
    return dg.MetadataValue.json(json.loads(json.dumps(value, default=str)))


@dataclass(frozen=True)
class HandOff:
    """Base of every hand-off record: checks that no field holds a local path."""

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            for text in _strings(getattr(self, item.name)):
                if text.startswith(_LOCAL_PREFIXES):
                    raise LocalPathError(
                        f"{type(self).__name__}.{item.name} = {text!r} looks like a local path; "
                        "hand-offs carry object-store keys, MLflow URIs, versions and tags, "
                        "because the next step may run in another pod"
                    )

    def metadata(self) -> dict[str, Any]:
        """Every field as asset metadata, under its own name."""
        return {item.name: _shown(getattr(self, item.name)) for item in dataclasses.fields(self)}


@dataclass(frozen=True)
class StagedBatch(HandOff):
    """New landing files, validated: the good rows staged as Parquet in the object store."""

    staging_key: str  # object-store key of the staged good rows
    files: tuple[str, ...]  # landing keys read into this batch
    rows_in: int
    good_rows: int
    quarantined_rows: int
    quarantined_files: tuple[str, ...] = ()  # landing keys moved to `_quarantine/`
    # object-store key of the good rows' covariate values (None: the batch held none)
    covariates_key: str | None = None
    covariate_rows: int = 0  # rows whose covariate values are staged
    # a batch read in chunks: the keys of its staged parts, under `staging_key` as a prefix
    # (None: the good rows are the one object `staging_key`)
    staging_parts: tuple[str, ...] | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        """The staged objects of good rows, to be upserted in order."""
        return (self.staging_key,) if self.staging_parts is None else self.staging_parts


@dataclass(frozen=True)
class PanelSnapshot(HandOff):
    """The curated panel after the upsert, snapshotted as Parquet in the object store."""

    snapshot_key: str  # object-store key of the whole panel
    fingerprint: str  # content hash of the panel (dataset fingerprint in MLflow)
    freq: str | None
    season_length: int | None
    training_series: tuple[str, ...]  # series that passed the panel checks
    inserted: int  # rows new in this ingestion
    new_row_share: float  # inserted / rows of the whole panel


@dataclass(frozen=True)
class TrainedModel(HandOff):
    """The fitted model, as logged to MLflow."""

    run_id: str  # MLflow run of the training
    model_uri: str  # MLflow model URI (`models:/m-...`), loadable from any pod
    fingerprint: str  # dataset fingerprint of the panel it was trained on
    snapshot_key: str  # object-store key of that panel
    freq: str
    season_length: int
    horizon: int
    # object-store key of the per-series member forecasts of the training's own selection
    # backtest (the promotion backtest reuses those of the series and cutoffs it shares)
    member_forecasts_key: str | None = None


@dataclass(frozen=True)
class BacktestReport(HandOff):
    """Backtest metrics per method (`challenger`, `champion`, `seasonal_naive`) on the same
    windows."""

    run_id: str  # MLflow run the metrics were logged to (the training run)
    results: dict[str, dict[str, float]]
    champion_version: str | None  # registered version backtested as `champion`, if any
    n_windows: int
    series: int


@dataclass(frozen=True)
class RegistrationDecision(HandOff):
    """The new registered version and whether it was promoted to champion."""

    version: str  # registered model version of the trained model
    promoted: bool
    reason: str
    champion_version: str | None  # the champion after the decision


@dataclass(frozen=True)
class BuiltBento(HandOff):
    """The champion packaged as a model-server Bento, exported to the object store."""

    bento_tag: str
    model_tag: str  # the BentoML model inside the Bento
    model_version: str  # registered model version it serves
    bento_key: str  # object-store key of the exported Bento archive
    reused: bool = False  # an earlier run built this version's Bento already
    image: str | None = None  # image reference, where a deploy target builds images


@dataclass(frozen=True)
class Rollout(HandOff):
    """The Bento rolled out: the active deployment record the API reads."""

    deployment_id: int
    endpoint_url: str
    model_version: str
    bento_tag: str
    reused: bool = False  # the server already running this Bento was kept
