"""Live accuracy as the API shows it: stored forecasts against the actuals that arrived."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

__all__ = [
    "AccuracyFigures",
    "DailyAccuracy",
    "ForecastOutcome",
    "ModelAccuracy",
    "SeriesAccuracy",
    "SeriesVersionAccuracy",
]


class AccuracyFigures(BaseModel):
    series: int = Field(description="Series scored.")
    points: int = Field(description="Forecast points with an actual.")
    days: int = Field(description="Partition days with scored points.")
    first_day: date
    last_day: date
    mase: float | None = Field(
        description="Mean over series of the live MASE (scaled as in the backtest); None when "
        "no series could be scaled."
    )
    smape: float | None = Field(description="Mean over series of sMAPE (0-200).")
    bias: float | None = Field(description="Mean over series of mean(forecast - actual).")
    mae: float | None = Field(description="Mean over series of the mean absolute error.")
    coverage: dict[str, float | None] = Field(
        description="Share of actuals inside the interval, by level ('80')."
    )


class DailyAccuracy(BaseModel):
    day: date
    series: int
    points: int
    mase: float | None
    smape: float | None
    bias: float | None
    coverage: dict[str, float | None]


class ModelAccuracy(BaseModel):
    version: str
    backtest_mase: float | None = Field(description="MASE of the version's backtest.")
    live: AccuracyFigures | None = Field(description="None until the monitoring asset scored it.")
    live_to_backtest: float | None = Field(description="Live MASE / backtest MASE.")
    degradation_factor: float = Field(description="The ratio above which accuracy is degraded.")
    degraded: bool = Field(description="live_to_backtest > degradation_factor.")
    daily: list[DailyAccuracy] = Field(description="Oldest day first.")


class SeriesVersionAccuracy(BaseModel):
    version: str
    points: int
    first_day: date
    last_day: date
    mase: float | None
    smape: float | None
    bias: float | None
    mae: float | None
    coverage: dict[str, float]


class ForecastOutcome(BaseModel):
    """One forecast point next to what happened."""

    version: str
    ds: datetime
    origin: datetime = Field(description="First target of the forecast the point belongs to.")
    forecast: float
    actual: float
    error: float = Field(description="forecast - actual")
    lo: dict[str, float]
    hi: dict[str, float]


class SeriesAccuracy(BaseModel):
    series_id: int
    name: str
    versions: list[SeriesVersionAccuracy] = Field(description="Live figures per model version.")
    outcomes: list[ForecastOutcome] = Field(description="Newest target last.")
