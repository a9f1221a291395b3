"""Request and response models of the model server's JSON API (version 1).

The REST API is the model server's only client besides benchmarks; it mirrors these shapes.
Limits keep one request bounded: breaking one gives a 4xx with a message, never a 500.
"""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import BaseModel, Field, field_validator, model_validator

__all__ = [
    "MAX_HISTORY",
    "MAX_HORIZON",
    "MAX_LEVELS",
    "MAX_SERIES",
    "ExplanationPoint",
    "ForecastPoint",
    "ModelInfo",
    "SeriesExplanation",
    "SeriesForecast",
    "SeriesHistory",
]

MAX_SERIES = 500
MAX_HORIZON = 366
MAX_HISTORY = 5000
MAX_LEVELS = 10


class SeriesHistory(BaseModel):
    """Recent history of one series: timestamps and values, oldest first, regular spacing."""

    id: str = Field(min_length=1, max_length=200, description="Series identifier.")
    timestamps: list[datetime] = Field(
        min_length=1, max_length=MAX_HISTORY, description="Observation times, oldest first."
    )
    values: list[float] = Field(
        min_length=1, max_length=MAX_HISTORY, description="Observed values, finite numbers."
    )

    @field_validator("values")
    @classmethod
    def _finite(cls, values: list[float]) -> list[float]:
        bad = [i for i, v in enumerate(values) if not math.isfinite(v)]
        if bad:
            raise ValueError(f"values must be finite numbers; not finite at positions {bad[:10]}")
        return values

    @model_validator(mode="after")
    def _aligned(self) -> SeriesHistory:
        if len(self.timestamps) != len(self.values):
            raise ValueError(
                f"series {self.id!r}: {len(self.timestamps)} timestamps but "
                f"{len(self.values)} values"
            )
        return self


class ForecastPoint(BaseModel):
    """One forecast step: the point forecast and the bounds of each requested interval."""

    ds: datetime
    yhat: float
    lower: dict[str, float] = Field(default_factory=dict, description="Level -> lower bound.")
    upper: dict[str, float] = Field(default_factory=dict, description="Level -> upper bound.")


class SeriesForecast(BaseModel):
    """The forecast of one series."""

    id: str
    points: list[ForecastPoint]


class ExplanationPoint(BaseModel):
    """One forecast step of the LightGBM member, taken apart by LightGBM's `pred_contrib`:
    `base + sum(contributions) == raw`, the trees' output in the space they predict (after
    the target transforms, e.g. log1p and the seasonal difference); `yhat` is the member's
    forecast once the transforms are undone."""

    ds: datetime
    base: float = Field(description="The trees' expected output (the same for every point).")
    contributions: dict[str, float] = Field(
        description="Feature group -> contribution: history (lags, rolling means), calendar, "
        "each covariate."
    )
    raw: float = Field(description="The trees' output: base plus the contributions.")
    yhat: float = Field(description="The LightGBM member's forecast.")


class SeriesExplanation(BaseModel):
    """The explanation of one series' forecast."""

    id: str
    points: list[ExplanationPoint]


class ModelInfo(BaseModel):
    """Which model this server serves."""

    name: str
    version: str
    source: str
    dataset: str = Field("default", description="The dataset whose champion this model is.")
    freq: str | None = None
    season_length: int | None = None
    horizon: int | None = Field(None, description="Horizon the model was trained for.")
    limits: dict[str, int] = Field(
        default_factory=dict, description="Request limits: max series, horizon, history, levels."
    )
