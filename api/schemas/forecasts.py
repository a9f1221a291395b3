"""Forecast requests and stored forecasts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas.common import MAX_RECORD_ID, UtcDateTime
from api.schemas.covariates import CovariateValueIn

__all__ = [
    "MAX_FORECAST_SERIES",
    "MAX_HISTORY_POINTS",
    "MAX_HORIZON",
    "ForecastBand",
    "ForecastBatch",
    "ForecastCreate",
    "ForecastPointPublic",
    "ForecastPublic",
    "FutureCovariateIn",
]

# Mirrors the model server's limits (bentos/schemas.py), checked here to answer 422 early.
MAX_FORECAST_SERIES = 500
MAX_HORIZON = 366
MAX_HISTORY_POINTS = 5000
MAX_LEVELS = 10
MAX_FUTURE_VALUES = 20_000


class FutureCovariateIn(CovariateValueIn):
    """A known-in-advance covariate's value at a forecast date, in place of the stored one."""

    series_id: Annotated[int, Field(strict=True, ge=1, le=MAX_RECORD_ID)] | None = Field(
        None, description="A series of the request; absent: every series of the request."
    )


class ForecastCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    series_ids: list[Annotated[int, Field(strict=True, ge=1, le=MAX_RECORD_ID)]] = Field(
        min_length=1,
        max_length=MAX_FORECAST_SERIES,
        description="Series to forecast, each once.",
        json_schema_extra={"uniqueItems": True},
    )
    horizon: int | None = Field(
        None,
        strict=True,
        ge=1,
        le=MAX_HORIZON,
        description="Steps ahead; default: the series' dataset's horizon.",
    )
    levels: list[Annotated[int, Field(strict=True, ge=1, le=99)]] | None = Field(
        None,
        max_length=MAX_LEVELS,
        description="Interval levels in percent, each from 1 to 99 (repeats count once); "
        "default: the series' dataset's levels.",
    )
    history: int | None = Field(
        None,
        strict=True,
        ge=1,
        le=MAX_HISTORY_POINTS,
        description="Most recent observations sent to the model per series (default 730).",
    )
    future: list[FutureCovariateIn] = Field(
        default_factory=list,
        max_length=MAX_FUTURE_VALUES,
        description="Known-in-advance covariate values for the horizon's dates, in place of "
        "the stored ones (a series' own value wins over one for every series). Each must be "
        "a known-in-advance covariate of the series' dataset, of its type, on the dataset's "
        "grid (422 naming bad rows). A horizon date still without a value is a 422 "
        "`missing_future_covariates`.",
    )

    @field_validator("series_ids")
    @classmethod
    def _unique_ids(cls, ids: list[int]) -> list[int]:
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"series ids must be unique; repeated: {repeated}")
        return ids

    @field_validator("levels")
    @classmethod
    def _levels_sorted_once(cls, levels: list[int] | None) -> list[int] | None:
        return None if levels is None else sorted(set(levels))


class ForecastBand(BaseModel):
    """A forecast value with its interval bounds."""

    yhat: float
    lower: dict[str, float] = Field(description="Level (as text) -> lower bound.")
    upper: dict[str, float] = Field(description="Level (as text) -> upper bound.")


class ForecastPointPublic(ForecastBand):
    ds: UtcDateTime


class ForecastPublic(BaseModel):
    id: int
    request_id: str
    series_id: int
    model_name: str
    model_version: str
    horizon: int
    levels: list[int]
    created_at: UtcDateTime
    kind: Literal["request", "batch"] = Field(
        description="request: answered an API request; batch: written for every series by "
        "the batch_forecasts asset."
    )
    data_cutoff: UtcDateTime | None = Field(
        description="The last observation the forecast starts after (None: not recorded)."
    )
    points: list[ForecastPointPublic]


class ForecastBatch(BaseModel):
    """The answer to one forecast request: one stored forecast per series."""

    request_id: str
    model_name: str
    model_version: str
    forecasts: list[ForecastPublic]
