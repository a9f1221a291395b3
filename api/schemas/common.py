"""Shapes every resource shares: the error body, a page of items, documented error answers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)

from core.db.types import as_utc

__all__ = [
    "ERRORS",
    "MAX_RECORD_ID",
    "ErrorBody",
    "ErrorInfo",
    "FreeForm",
    "ModelVersionId",
    "Page",
    "QueryDateTime",
    "RecordId",
    "Text",
    "UtcDateTime",
    "errors",
]

T = TypeVar("T")
MAX_RECORD_ID = 2**63 - 1  # the largest database id (BIGINT); larger ones cannot exist


def _check_text(value: str) -> str:
    """Text the databases can store: valid Unicode (no lone surrogates), no NUL character."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"not valid Unicode text at position {error.start}") from None
    if "\x00" in value:
        raise ValueError("text must not contain the NUL character")
    return value


# Every text the API takes in: a bad one (a NUL, which the pattern documents, or a lone
# surrogate, which JSON Schema cannot name) is answered with 422, never stored or crashed on.
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$"), AfterValidator(_check_text)]
# Labels of a record: text keys (up to 255 characters) to text, numbers, booleans or null.
FreeForm = dict[
    Annotated[Text, StringConstraints(max_length=255)], Text | int | float | bool | None
]
# Timestamps the API returns: always with their zone (UTC), as `date-time` documents them.
UtcDateTime = Annotated[datetime, AfterValidator(as_utc)]
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _query_moment(value: object) -> datetime:
    """A query parameter's moment: an RFC 3339 date-time (with its zone) or a date (midnight
    UTC); anything else (a number, a naive time) is rejected, as the document says."""
    if isinstance(value, datetime):
        return as_utc(value)
    text = str(value)
    try:
        if _RFC3339.fullmatch(text):
            return datetime.fromisoformat(text.replace("z", "Z")).astimezone(UTC)
        if _DATE.fullmatch(text):
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        pass
    raise ValueError("expected an RFC 3339 date-time with its zone, or a date (YYYY-MM-DD)")


QueryDateTime = Annotated[
    datetime,
    PlainValidator(_query_moment),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
            ]
        }
    ),
]
# A record id in a path: 1 to the largest id a database holds.
RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="Record id.")]
# A registered model version in a path (MLflow numbers them; the text is bounded all the same).
ModelVersionId = Annotated[
    Text, Path(min_length=1, max_length=64, description="Registered model version.")
]


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `not_found`.")
    message: str = Field(description="What went wrong, for a person.")
    details: Any = Field(None, description="Structured details, e.g. the rows that failed.")


class ErrorBody(BaseModel):
    """Every error answer has this shape."""

    error: ErrorInfo


class Page(BaseModel, Generic[T]):
    """One page of a listing and the total number of items."""

    items: list[T]
    total: int
    limit: int
    offset: int


_DESCRIPTIONS = {
    400: "The request body could not be parsed (not JSON, or not the form it must be).",
    401: "Missing, unknown or revoked API key.",
    403: "The API key lacks the scope this route needs.",
    404: "A record named in the request does not exist.",
    409: "The change conflicts with the current state.",
    413: "The request body is larger than the API's limit (setting `api_max_body_bytes`, "
    "16 MiB by default); it is refused before it is read.",
    422: "The request is invalid; `details` says where and why.",
    429: "Rate limit exceeded; see `Retry-After`.",
    502: "An upstream service answered with an error.",
    503: "A service this route needs (model server, Dagster) is unavailable.",
}
ERRORS = {
    status: {"model": ErrorBody, "description": text} for status, text in _DESCRIPTIONS.items()
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry documenting these error statuses (auth ones always included;
    400 belongs to routes that take a body, and so does 413: every body has the API's limit)."""
    wanted = sorted({401, 403, 422, 429, *statuses, *({413} if 400 in statuses else ())})
    return {status: ERRORS[status] for status in wanted}
