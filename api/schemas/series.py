"""Series: create and public views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SeriesCreate", "SeriesPublic"]


class SeriesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255, description="Unique series name.")
    frequency: str | None = Field(
        None, max_length=32, description="Pandas frequency alias, e.g. `D`, `MS`."
    )
    meta: dict[str, Any] = Field(default_factory=dict, description="Free-form metadata.")


class SeriesPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    frequency: str | None
    meta: dict[str, Any]
    created_at: datetime
