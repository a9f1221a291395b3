"""API keys on requests: where the key is read, who the caller is, scopes and rate limits.

Scopes nest: `admin` may do what `write` may, and `write` what `read` may. A key is sent as
`Authorization: Bearer <key>` or `X-API-Key: <key>`. Each key's requests are rate limited
(`api.rate_limit`); over the limit the answer is 429 with `Retry-After`. A key may be limited
to datasets (`api.visibility` hides the others).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core.db.repositories.audit import append_audit

__all__ = ["SCOPES", "Caller", "grants", "key_from_headers"]

SCOPES = ("read", "write", "admin")
_IMPLIED = {"read": {"read"}, "write": {"read", "write"}, "admin": {"read", "write", "admin"}}


def grants(scopes: list[str] | tuple[str, ...], needed: str) -> bool:
    """Whether a key holding `scopes` may do what needs the `needed` scope."""
    return any(needed in _IMPLIED.get(scope, set()) for scope in scopes)


def key_from_headers(bearer_token: str | None, api_key: str | None) -> str | None:
    """The key sent as `X-API-Key` or as the token of `Authorization: Bearer`, else None."""
    for candidate in (api_key, bearer_token):
        if candidate and candidate.strip():
            return candidate.strip()
    return None


@dataclass(frozen=True)
class Caller:
    """The authenticated key behind a request, and the request's id for the audit log."""

    key_id: int
    name: str
    scopes: tuple[str, ...]
    request_id: str
    # the names of the datasets the key is limited to; None: every dataset
    datasets: tuple[str, ...] | None = None

    @property
    def limited(self) -> bool:
        """Whether the key sees only some datasets (an admin key always sees every one)."""
        return self.datasets is not None and not grants(self.scopes, "admin")

    def sees(self, dataset: str) -> bool:
        """Whether the key may see the dataset of that name (and what it holds)."""
        return not self.limited or dataset in (self.datasets or ())

    @property
    def actor(self) -> str:
        return f"apikey:{self.name}#{self.key_id}"

    def audit(
        self,
        session: Session,
        action: str,
        target: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append an audit row in the caller's transaction (committed with the change)."""
        append_audit(
            session,
            actor=self.actor,
            action=action,
            target=target,
            details=details,
            request_id=self.request_id,
        )
