"""Errors the data access functions raise, so callers (API, jobs) can map them to answers."""

from __future__ import annotations

__all__ = ["DuplicateRecordError", "InvalidStateError", "RecordNotFoundError"]


class RecordNotFoundError(LookupError):
    """The record asked for does not exist."""


class DuplicateRecordError(ValueError):
    """A record with the same unique key already exists."""


class InvalidStateError(ValueError):
    """The record exists but cannot make the asked transition from its current state."""
