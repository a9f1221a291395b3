"""Covariates: their declaration on a dataset, and the values of one series (bodies and
answers). What is declared is checked by `core.covariates.Covariate`; these schemas give
the API its typed, documented shape."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from api.schemas.common import Text, UtcDateTime
from api.schemas.observations import MAX_UPLOAD_ROWS, timestamp_text
from core.covariates import KINDS, TYPES

__all__ = [
    "MAX_CATEGORIES",
    "CovariateDeclaration",
    "CovariateName",
    "CovariatePublic",
    "CovariateValue",
    "CovariateValueIn",
    "CovariateValuePublic",
    "CovariatesSummary",
    "DatasetCovariates",
    "DatasetCovariatesUpsert",
    "SeriesCovariates",
    "SeriesCovariatesUpsert",
    "StaticCovariateIn",
]

MAX_CATEGORIES = 1000
CovariateName = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]*$", max_length=63)]
# A number (numeric), true/false (boolean; 1/0 too) or a category (categorical).
CovariateValue = Annotated[
    bool | float | Annotated[Text, Field(max_length=255)],
    Field(description="A finite number, true/false, or a category; as the covariate's type."),
]


class CovariateDeclaration(BaseModel):
    """One covariate a dataset declares."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: CovariateName = Field(
        description="Lowercase identifier, unique in the dataset; not a series, timestamp or "
        "value column name (unique_id, series, ds, date, y, value...)."
    )
    type: Literal[TYPES] = Field("numeric", description="numeric, boolean or categorical.")
    kind: Literal[KINDS] = Field(
        "known_in_advance",
        description="static (one value per series), known_in_advance (a value per series and "
        "timestamp, future ones too) or calendar (holidays of `country`; no values).",
    )
    country: Annotated[Text, Field(max_length=8)] | None = Field(
        None, description="Calendar only: the `holidays` country code (US, DE...)."
    )
    subdivision: Annotated[Text, Field(max_length=16)] | None = Field(
        None, description="Calendar only: the country's subdivision (CA, BY...)."
    )
    categories: list[Annotated[Text, Field(max_length=255)]] = Field(
        default_factory=list,
        max_length=MAX_CATEGORIES,
        description="Categorical only: the known categories (empty: any).",
    )


class CovariatePublic(CovariateDeclaration):
    """A declared covariate, as a dataset's answer shows it."""

    model_config = ConfigDict(extra="forbid", strict=False)


class StaticCovariateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: CovariateName = Field(description="A static covariate of the series' dataset.")
    value: CovariateValue


class CovariateValueIn(StaticCovariateIn):
    ts: Annotated[datetime, BeforeValidator(timestamp_text)] = Field(
        description="Timestamp (ISO 8601 text; future ones too); without a zone it is UTC."
    )
    name: CovariateName = Field(description="A known-in-advance covariate of the dataset.")


class SeriesCovariatesUpsert(BaseModel):
    """Covariate values of one series (named by the path); all are written or none."""

    model_config = ConfigDict(extra="forbid")

    static: list[StaticCovariateIn] = Field(
        default_factory=list, max_length=1000, description="One value per static covariate."
    )
    values: list[CovariateValueIn] = Field(
        default_factory=list,
        max_length=MAX_UPLOAD_ROWS,
        description="Known-in-advance values by timestamp; re-sending one updates it.",
    )


class DatasetCovariatesUpsert(BaseModel):
    """Known-in-advance values for every series of a dataset (a series' own value wins over
    one of these); all are written or none."""

    model_config = ConfigDict(extra="forbid")

    values: list[CovariateValueIn] = Field(
        max_length=MAX_UPLOAD_ROWS,
        description="Known-in-advance values by timestamp; re-sending one updates it.",
    )


class CovariatesSummary(BaseModel):
    rows: int = Field(description="Values received (static and by timestamp).")
    inserted: int = Field(description="Values that were new.")
    updated: int = Field(description="Values that replaced a stored one.")


class CovariateValuePublic(BaseModel):
    ts: UtcDateTime
    name: str
    value: bool | float | str


class SeriesCovariates(BaseModel):
    """A series' covariate values: its static ones, and its known-in-advance ones in a time
    range (oldest first, a page of them)."""

    series_id: int
    static: dict[str, bool | float | str]
    values: list[CovariateValuePublic]
    total: int = Field(description="Values in the range.")
    limit: int
    offset: int


class DatasetCovariates(BaseModel):
    """A dataset's known-in-advance values for every series in a time range (oldest first, a
    page of them); a series' own values are read from the series."""

    dataset: str
    values: list[CovariateValuePublic]
    total: int = Field(description="Values in the range.")
    limit: int
    offset: int
