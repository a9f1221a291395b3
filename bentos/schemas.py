"""Request and response models of the model server's JSON API (version 1).

The REST API is the model server's only client besides benchmarks; it mirrors these shapes.
Limits keep one request bounded: breaking one gives a 4xx with a message, never a 500.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator, model_validator

__all__ = [
    "MAX_COVARIATES",
    "MAX_HISTORY",
    "MAX_HORIZON",
    "MAX_LEVELS",
    "MAX_SERIES",
    "CovariateValue",
    "ExplanationPoint",
    "ForecastPoint",
    "FutureCovariates",
    "ModelInfo",
    "SeriesExplanation",
    "SeriesForecast",
    "SeriesHistory",
]

MAX_SERIES = 500
MAX_HORIZON = 366
MAX_HISTORY = 5000
MAX_LEVELS = 10
MAX_COVARIATES = 100

# A covariate's value: a number (numeric), true/false (boolean) or a category (categorical).
CovariateValue = bool | float | Annotated[str, Field(max_length=255)]
CovariateName = Annotated[str, Field(min_length=1, max_length=63)]


def _finite_values(name: str, values: list[CovariateValue | None]) -> None:
    bad = [i for i, v in enumerate(values) if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        raise ValueError(f"covariate {name!r}: values not finite at positions {bad[:10]}")


class FutureCovariates(BaseModel):
    """Known-in-advance covariates of one series over its forecast horizon: the timestamps
    and, per covariate, one value each (null: not known; the model refuses a horizon date
    without a value, naming it)."""

    timestamps: list[datetime] = Field(
        min_length=1, max_length=MAX_HORIZON, description="Forecast dates, oldest first."
    )
    values: dict[CovariateName, list[CovariateValue | None]] = Field(
        max_length=MAX_COVARIATES, description="Covariate -> one value per timestamp."
    )

    @model_validator(mode="after")
    def _aligned(self) -> FutureCovariates:
        for name, values in self.values.items():
            _finite_values(name, values)
            if len(values) != len(self.timestamps):
                raise ValueError(
                    f"future covariate {name!r}: {len(self.timestamps)} timestamps but "
                    f"{len(values)} values"
                )
        return self


class SeriesHistory(BaseModel):
    """Recent history of one series: timestamps and values, oldest first, regular spacing."""

    id: str = Field(min_length=1, max_length=200, description="Series identifier.")
    timestamps: list[datetime] = Field(
        min_length=1, max_length=MAX_HISTORY, description="Observation times, oldest first."
    )
    values: list[float] = Field(
        min_length=1, max_length=MAX_HISTORY, description="Observed values, finite numbers."
    )
    covariates: dict[CovariateName, list[CovariateValue | None]] | None = Field(
        None,
        max_length=MAX_COVARIATES,
        description="Known-in-advance covariates over the history: covariate -> one value per "
        "timestamp. Only for a model trained with covariates.",
    )
    static: dict[CovariateName, CovariateValue] | None = Field(
        None, max_length=MAX_COVARIATES, description="Static covariates: covariate -> value."
    )
    future: FutureCovariates | None = Field(
        None, description="Known-in-advance covariates over the forecast horizon."
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
        for name, values in (self.covariates or {}).items():
            _finite_values(name, values)
            if len(values) != len(self.timestamps):
                raise ValueError(
                    f"series {self.id!r}, covariate {name!r}: {len(self.timestamps)} "
                    f"timestamps but {len(values)} values"
                )
        _finite_values("static", list((self.static or {}).values()))
        both = sorted(set(self.covariates or {}) & set(self.static or {}))
        if both:
            raise ValueError(f"series {self.id!r}: covariates {both} both static and over time")
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
