"""Shapes every resource shares: the error body, a page of items, documented error answers."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

__all__ = ["ERRORS", "ErrorBody", "ErrorInfo", "Page", "errors"]

T = TypeVar("T")


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
    401: "Missing, unknown or revoked API key.",
    403: "The API key lacks the scope this route needs.",
    404: "A record named in the request does not exist.",
    409: "The change conflicts with the current state.",
    413: "The upload is too large.",
    422: "The request is invalid; `details` says where and why.",
    429: "Rate limit exceeded; see `Retry-After`.",
    502: "An upstream service answered with an error.",
    503: "A service this route needs (model server, Dagster) is unavailable.",
}
ERRORS = {
    status: {"model": ErrorBody, "description": text} for status, text in _DESCRIPTIONS.items()
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry documenting these error statuses (auth ones always included)."""
    wanted = sorted({401, 403, 422, 429, *statuses})
    return {status: ERRORS[status] for status in wanted}
