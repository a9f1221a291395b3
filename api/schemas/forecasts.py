"""Forecast requests and stored forecasts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "MAX_FORECAST_SERIES",
    "MAX_HISTORY_POINTS",
    "MAX_HORIZON",
    "ForecastBatch",
    "ForecastCreate",
    "ForecastPointPublic",
    "ForecastPublic",
]

# Mirrors the model server's limits (bentos/schemas.py), checked here to answer 422 early.
MAX_FORECAST_SERIES = 500
MAX_HORIZON = 366
MAX_HISTORY_POINTS = 5000
MAX_LEVELS = 10


class ForecastCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    series_ids: list[int] = Field(
        min_length=1, max_length=MAX_FORECAST_SERIES, description="Series to forecast."
    )
    horizon: int | None = Field(
        None, ge=1, le=MAX_HORIZON, description="Steps ahead; default from the settings."
    )
    levels: list[int] = Field(
        default_factory=lambda: [80, 95],
        max_length=MAX_LEVELS,
        description="Interval levels in percent, each in (0, 100).",
    )
    history: int | None = Field(
        None,
        ge=1,
        le=MAX_HISTORY_POINTS,
        description="Most recent observations sent to the model per series (default 730).",
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
    def _levels_in_range(cls, levels: list[int]) -> list[int]:
        bad = [level for level in levels if not 0 < level < 100]
        if bad:
            raise ValueError(f"levels must be in (0, 100); got {bad}")
        return sorted(set(levels))


class ForecastPointPublic(BaseModel):
    ds: datetime
    yhat: float
    lower: dict[str, float] = Field(description="Level (as text) -> lower bound.")
    upper: dict[str, float] = Field(description="Level (as text) -> upper bound.")


class ForecastPublic(BaseModel):
    id: int
    request_id: str
    series_id: int
    model_name: str
    model_version: str
    horizon: int
    levels: list[int]
    created_at: datetime
    kind: Literal["request", "batch"] = Field(
        description="request: answered an API request; batch: written for every series by "
        "the batch_forecasts asset."
    )
    data_cutoff: datetime | None = Field(
        description="The last observation the forecast starts after (None: not recorded)."
    )
    points: list[ForecastPointPublic]


class ForecastBatch(BaseModel):
    """The answer to one forecast request: one stored forecast per series."""

    request_id: str
    model_name: str
    model_version: str
    forecasts: list[ForecastPublic]
