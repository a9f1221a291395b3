"""Datasets: create, update (only what a live dataset allows) and public views."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import Text, UtcDateTime
from api.schemas.covariates import CovariateDeclaration, CovariatePublic
from core.datasets import DatasetConfig
from core.datasets.config import MAX_COVARIATES, MAX_LEVELS, NAME_PATTERN

__all__ = [
    "DatasetCreate",
    "DatasetName",
    "DatasetPublic",
    "DatasetQuery",
    "DatasetUpdate",
    "RunsDatasetQuery",
]

DatasetName = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=63)]
# `?dataset=` of the routes that act on one dataset's registered model or partition.
DatasetQuery = Annotated[
    DatasetName,
    Query(
        description="The dataset whose registered model or partition it is; left out: `default`."
    ),
]
# `?dataset=` of the pipeline's run list: a filter, so left out means every dataset's runs.
RunsDatasetQuery = Annotated[
    DatasetName | None,
    Query(
        description="Only runs of this dataset and the platform's own runs (no dataset: "
        "backups, DR drills); left out: every run."
    ),
]
Level = Annotated[float, Field(gt=0, lt=100)]
# Forecaster settings are stored as JSON: integers within the 64-bit range.
_Integer = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
_Scalar = Text | _Integer | float | bool | None
# Forecaster settings: scalars, lists of numbers (lags) or a mapping of scalars (lgb_params).
OverrideValue = (
    _Scalar | list[_Integer | float] | dict[Annotated[Text, Field(max_length=255)], _Scalar]
)
Overrides = dict[Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]*$")], OverrideValue]
_FIELDS = DatasetConfig.model_fields


def _described(name: str) -> str:
    return _FIELDS[name].description or ""


class _Settings(BaseModel):
    """The fields a dataset may be given, as `core.datasets.DatasetConfig` checks them."""

    # Strict: a JSON `true` is no number (lax mode would read it as 1.0), a float no count.
    model_config = ConfigDict(extra="forbid", strict=True)

    frequency: Annotated[Text, Field(max_length=32)] | None = Field(
        None, description=_described("frequency")
    )
    season_length: int | None = Field(
        None, ge=1, le=10_000, description=_described("season_length")
    )
    horizon: int | None = Field(None, ge=1, le=10_000, description=_described("horizon"))
    levels: list[Level] = Field(
        default_factory=lambda: list(_FIELDS["levels"].default),
        max_length=MAX_LEVELS,
        description=_described("levels") + " Each level once.",
    )
    max_bad_row_share: float = Field(
        _FIELDS["max_bad_row_share"].default,
        ge=0,
        le=1,
        description=_described("max_bad_row_share"),
    )
    min_history: int = Field(0, ge=0, le=1_000_000, description=_described("min_history"))
    value_min: float | None = Field(None, description=_described("value_min"))
    value_max: float | None = Field(
        None, description=_described("value_max") + " Not below value_min."
    )
    retrain_new_data_share: float = Field(
        _FIELDS["retrain_new_data_share"].default,
        ge=0,
        le=1,
        description=_described("retrain_new_data_share"),
    )
    model_overrides: Overrides = Field(
        default_factory=dict,
        max_length=50,
        description=_described("model_overrides") + " Not freq, season_length or horizon.",
    )
    batch_forecasts_after_rollout: bool = Field(
        True, description=_described("batch_forecasts_after_rollout")
    )
    covariates: list[CovariateDeclaration] = Field(
        default_factory=list, max_length=MAX_COVARIATES, description=_described("covariates")
    )


class DatasetCreate(_Settings):
    """A new dataset; what is left out follows its frequency (or the defaults)."""

    name: DatasetName = Field(description=_described("name"))


class DatasetUpdate(BaseModel):
    """The fields to change; those left out keep their values. A dataset's name cannot
    change, nor its frequency once fixed (409 with the reason)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    frequency: Annotated[Text, Field(max_length=32)] | None = Field(
        None, description="Fixes a frequency not fixed yet; a fixed one cannot change."
    )
    season_length: int | None = Field(None, ge=1, le=10_000, description="null: from frequency.")
    horizon: int | None = Field(None, ge=1, le=10_000, description="null: from frequency.")
    levels: list[Level] = Field(None, max_length=MAX_LEVELS, description=_described("levels"))
    max_bad_row_share: float = Field(None, ge=0, le=1, description=_described("max_bad_row_share"))
    min_history: int = Field(None, ge=0, le=1_000_000, description=_described("min_history"))
    value_min: float | None = Field(None, description=_described("value_min"))
    value_max: float | None = Field(None, description=_described("value_max"))
    retrain_new_data_share: float = Field(
        None, ge=0, le=1, description=_described("retrain_new_data_share")
    )
    model_overrides: Overrides = Field(
        None, max_length=50, description=_described("model_overrides")
    )
    batch_forecasts_after_rollout: bool = Field(
        None, description=_described("batch_forecasts_after_rollout")
    )
    covariates: list[CovariateDeclaration] = Field(
        None,
        max_length=MAX_COVARIATES,
        description="Every covariate, the declared ones kept as they are (their kind, type and "
        "categories; more categories may be added) and new ones added; a refused change "
        "answers 409 with the reason.",
    )


class DatasetPublic(BaseModel):
    """A dataset: its configuration as declared, what follows from it, and its size."""

    name: str
    frequency: str | None = Field(description="null: not fixed yet (inferred at the first ingest).")
    season_length: int | None = Field(description="As declared; null: from the frequency.")
    horizon: int | None = Field(description="As declared; null: from the frequency.")
    effective_season_length: int | None = Field(
        description="The season length in use; null while the frequency is unknown."
    )
    effective_horizon: int = Field(description="The horizon in use.")
    levels: list[float]
    max_bad_row_share: float
    min_history: int
    value_min: float | None
    value_max: float | None
    retrain_new_data_share: float
    model_overrides: dict[str, Any]
    batch_forecasts_after_rollout: bool
    covariates: list[CovariatePublic]
    series: int = Field(description="Series in the dataset.")
    created_at: UtcDateTime
    updated_at: UtcDateTime
