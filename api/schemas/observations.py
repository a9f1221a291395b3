"""Observations: bulk upsert bodies (JSON) and the answers; CSV uploads share the answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "MAX_UPLOAD_ROWS",
    "ObservationIn",
    "ObservationList",
    "ObservationPublic",
    "ObservationsUpsert",
    "SeriesObservationIn",
    "SeriesObservationsUpsert",
    "UpsertSummary",
]

MAX_UPLOAD_ROWS = 100_000


class SeriesObservationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ts: datetime = Field(description="Timestamp (ISO 8601); without a zone it is read as UTC.")
    value: float = Field(allow_inf_nan=False, description="A finite number.")


class ObservationIn(SeriesObservationIn):
    series: str = Field(min_length=1, max_length=255, description="Series name.")


class ObservationsUpsert(BaseModel):
    """Rows of one or many series; all are written or none."""

    model_config = ConfigDict(extra="forbid")

    observations: list[ObservationIn] = Field(min_length=1, max_length=MAX_UPLOAD_ROWS)
    create_missing_series: bool = Field(
        False, description="Create series named in the rows that do not exist yet."
    )
    frequency: str | None = Field(None, description="Frequency given to created series.")


class SeriesObservationsUpsert(BaseModel):
    """Rows of one series (named by the path)."""

    model_config = ConfigDict(extra="forbid")

    observations: list[SeriesObservationIn] = Field(min_length=1, max_length=MAX_UPLOAD_ROWS)


class UpsertSummary(BaseModel):
    rows: int = Field(description="Rows received.")
    inserted: int = Field(description="Rows that were new.")
    updated: int = Field(description="Rows that replaced a value at an existing timestamp.")
    series_created: list[str] = Field(default_factory=list)


class ObservationPublic(BaseModel):
    ts: datetime
    value: float


class ObservationList(BaseModel):
    series_id: int
    items: list[ObservationPublic]
    total: int = Field(description="Observations in the time range.")
    limit: int
    offset: int
