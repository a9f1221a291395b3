"""Series: create and public views."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import FreeForm, Text, UtcDateTime
from core.datasets.config import NAME_PATTERN

__all__ = ["SeriesCreate", "SeriesPublic"]


def _not_blank(name: str) -> str:
    # The repository refuses what `str.strip` empties (control separators such as \x1e too).
    if not name.strip():
        raise ValueError("a series name needs a character that is not white space")
    return name


class SeriesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, AfterValidator(_not_blank)] = Field(
        min_length=1,
        max_length=255,
        description="Series name, unique in its dataset; not only white space.",
    )
    frequency: Text | None = Field(
        None, max_length=32, description="Pandas frequency alias, e.g. `D`, `MS`."
    )
    meta: FreeForm = Field(
        default_factory=dict, description="Labels: text keys to text, numbers, true/false or null."
    )
    dataset: Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=63)] | None = Field(
        None, description="The dataset the series belongs to; left out: `default`."
    )


class SeriesPublic(BaseModel):
    id: int
    dataset_id: int = Field(description="Id of the series' dataset.")
    dataset: str = Field(description="Name of the series' dataset.")
    name: str
    frequency: str | None
    meta: dict[str, Any]
    created_at: UtcDateTime
