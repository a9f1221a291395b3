"""The API key behind a request, as the key's holder may see it (never its hash)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import UtcDateTime

__all__ = ["ApiKeyIdentity"]


class ApiKeyIdentity(BaseModel):
    id: int
    name: str = Field(description="The label given when the key was created.")
    prefix: str = Field(description="The key's public start (`qk_<8 hex>`), to tell keys apart.")
    scopes: list[str] = Field(description="The scopes the key was given.")
    granted: list[str] = Field(
        description="What the key may do: its scopes and the ones they imply "
        "(`admin` implies `write`, `write` implies `read`), in the order read, write, admin."
    )
    datasets: list[str] | None = Field(
        description="The datasets the key is limited to (it sees nothing of the others); "
        "null: every dataset."
    )
    created_at: UtcDateTime
    last_used_at: UtcDateTime | None = Field(
        description="Recorded at most once a minute, so it may lag the current request."
    )
