"""Observations: bulk upsert bodies (JSON) and the answers; CSV uploads share the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from api.schemas.common import Text, UtcDateTime
from core.datasets.config import NAME_PATTERN

__all__ = [
    "MAX_UPLOAD_ROWS",
    "ObservationIn",
    "ObservationList",
    "ObservationPublic",
    "ObservationsUpsert",
    "SeriesObservationIn",
    "SeriesObservationsUpsert",
    "UpsertSummary",
    "timestamp_text",
]

MAX_UPLOAD_ROWS = 100_000


def timestamp_text(value: object) -> object:
    """Timestamps come as text: a number (or true/false) is not taken for epoch seconds."""
    if not isinstance(value, str | datetime):
        raise ValueError("a timestamp must be ISO 8601 text, e.g. 2024-01-31T00:00:00Z")
    return value


class SeriesObservationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ts: Annotated[datetime, BeforeValidator(timestamp_text)] = Field(
        description="Timestamp (ISO 8601 text); without a zone it is read as UTC."
    )
    value: float = Field(strict=True, allow_inf_nan=False, description="A finite number.")


class ObservationIn(SeriesObservationIn):
    series: Text = Field(min_length=1, max_length=255, description="Series name.")


class ObservationsUpsert(BaseModel):
    """Rows of one or many series; all are written or none."""

    model_config = ConfigDict(extra="forbid")

    observations: list[ObservationIn] = Field(min_length=1, max_length=MAX_UPLOAD_ROWS)
    create_missing_series: bool = Field(
        False, strict=True, description="Create series named in the rows that do not exist yet."
    )
    frequency: Text | None = Field(
        None,
        max_length=32,
        description="Frequency given to created series; it must agree with the dataset's.",
    )
    dataset: Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=63)] | None = Field(
        None, description="The dataset the series belong to; left out: `default`."
    )


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
    ts: UtcDateTime
    value: float


class ObservationList(BaseModel):
    series_id: int
    items: list[ObservationPublic]
    total: int = Field(description="Observations in the time range.")
    limit: int
    offset: int
