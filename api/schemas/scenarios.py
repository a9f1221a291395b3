"""What-if scenarios of a dataset: the spec (bodies) and their runs (answers). A spec's
covariates, dates and values are checked against the dataset's declarations by
`core.scenarios` (422 `invalid_scenario` naming the part)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import MAX_RECORD_ID, Text, UtcDateTime
from api.schemas.covariates import CovariateName, CovariateValue
from api.schemas.forecasts import MAX_FORECAST_SERIES, MAX_HORIZON, ForecastBand

__all__ = [
    "MAX_CHANGES",
    "ScenarioChange",
    "ScenarioCreate",
    "ScenarioListed",
    "ScenarioPointPublic",
    "ScenarioPublic",
    "ScenarioRunPublic",
    "ScenarioSeriesRun",
]

MAX_CHANGES = 100
Moment = Annotated[
    Text,
    Field(
        min_length=10,
        max_length=40,
        description="A date (YYYY-MM-DD: its whole day) or an RFC 3339 date-time (no zone: UTC).",
        examples=["2030-01-02"],
    ),
]


class ScenarioChange(BaseModel):
    """One change of a known-in-advance covariate on the dates from `start` to `end`
    (inclusive, within the forecast horizon)."""

    model_config = ConfigDict(extra="forbid")

    covariate: CovariateName = Field(description="A known-in-advance covariate of the dataset.")
    start: Moment
    end: Moment
    op: Literal["set", "scale", "add"] = Field(
        "set",
        description="set: the value (true/false switches a boolean, e.g. a promotion, on/off; "
        "a category); scale: multiply by it; add: add it (numeric covariates only).",
    )
    value: CovariateValue


class ScenarioCreate(BaseModel):
    """A named what-if: changes of known-in-advance covariates for some series of the
    dataset, forecast against the baseline (the stored future values)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(min_length=1, max_length=120)] = Field(
        description="Unique in the dataset."
    )
    series: list[Annotated[int, Field(strict=True, ge=1, le=MAX_RECORD_ID)]] = Field(
        min_length=1,
        max_length=MAX_FORECAST_SERIES,
        description="Ids of the dataset's series the changes apply to, each once.",
        json_schema_extra={"uniqueItems": True},
    )
    horizon: int | None = Field(
        None, strict=True, ge=1, le=MAX_HORIZON, description="Steps ahead; default: the dataset's."
    )
    changes: list[ScenarioChange] = Field(min_length=1, max_length=MAX_CHANGES)


class ScenarioPointPublic(BaseModel):
    ds: UtcDateTime
    baseline: ForecastBand
    scenario: ForecastBand
    difference: float = Field(description="Scenario minus baseline forecast (yhat).")


class ScenarioSeriesRun(BaseModel):
    series_id: int
    series: str
    points: list[ScenarioPointPublic]
    total_difference: float = Field(description="Sum of the differences over the horizon.")


class ScenarioRunPublic(BaseModel):
    """A run: the baseline and scenario forecasts of the champion, side by side."""

    model_name: str
    model_version: str
    horizon: int
    levels: list[int]
    ran_at: datetime
    series: list[ScenarioSeriesRun]
    total_difference: float = Field(description="Sum of the differences over all series.")


class ScenarioListed(BaseModel):
    id: int
    dataset: str
    name: str
    spec: ScenarioCreate
    created_at: UtcDateTime
    last_run_at: UtcDateTime | None
    last_model_version: str | None = Field(description="The champion version of the last run.")
    last_total_difference: float | None


class ScenarioPublic(ScenarioListed):
    last_run: ScenarioRunPublic | None
