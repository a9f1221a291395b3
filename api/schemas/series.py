"""Series: create and public views."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import FreeForm, Text, UtcDateTime

__all__ = ["SeriesCreate", "SeriesPublic"]


class SeriesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=255, description="Unique series name.")
    frequency: Text | None = Field(
        None, max_length=32, description="Pandas frequency alias, e.g. `D`, `MS`."
    )
    meta: FreeForm = Field(
        default_factory=dict, description="Labels: text keys to text, numbers, true/false or null."
    )


class SeriesPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    frequency: str | None
    meta: dict[str, Any]
    created_at: UtcDateTime
