"""API keys: the plaintext is shown once at creation; only an HMAC-SHA256 of it is stored.

A key reads `qk_<8 hex>_<random>`; the `qk_<8 hex>` prefix is stored in clear to find the
row, and the HMAC (keyed by the settings' `secret_key`) is compared in constant time.
Rotating `secret_key` therefore invalidates every key.

A key may be limited to datasets (by name): it then sees nothing of the others. An `admin`
key creates and deletes datasets, so it cannot be limited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db.errors import RecordNotFoundError
from core.db.tables import ApiKey, Dataset
from core.db.types import utc_now

__all__ = [
    "KEY_MARKER",
    "create_api_key",
    "hash_api_key",
    "list_api_keys",
    "revoke_api_key",
    "set_api_key_scopes",
    "touch_api_key",
    "verify_api_key",
]

KEY_MARKER = "qk"


def hash_api_key(plaintext: str, secret_key: str) -> str:
    return hmac.new(secret_key.encode(), plaintext.encode(), hashlib.sha256).hexdigest()


def _checked_scopes(scopes: Iterable[str]) -> list[str]:
    cleaned = sorted(set(scopes))
    blank = [scope for scope in cleaned if not isinstance(scope, str) or not scope.strip()]
    if blank:
        raise ValueError(f"API key scopes must be non-empty strings, got {blank!r}")
    return cleaned


def _checked_datasets(
    session: Session, datasets: Iterable[str] | None, scopes: list[str]
) -> list[str] | None:
    """The dataset limit as stored: None (every dataset) or the sorted names, each of a
    dataset that exists; an admin key cannot be limited."""
    if datasets is None:
        return None
    names = sorted(set(datasets))
    if not names:
        raise ValueError("a key limited to datasets needs at least one dataset")
    if "admin" in scopes:
        raise ValueError(
            "an admin key sees every dataset (it creates and deletes them): it cannot be "
            "limited to datasets"
        )
    known = set(session.scalars(select(Dataset.name).where(Dataset.name.in_(names))))
    unknown = [name for name in names if name not in known]
    if unknown:
        raise RecordNotFoundError(f"dataset(s) {unknown} do not exist")
    return names


def create_api_key(
    session: Session,
    *,
    name: str,
    scopes: Iterable[str],
    secret_key: str,
    datasets: Iterable[str] | None = None,
) -> tuple[ApiKey, str]:
    """A new key record and its plaintext, which is never stored and cannot be shown again.

    `datasets` limits the key to those (existing) datasets; None: every dataset."""
    if not secret_key:
        raise ValueError("secret_key must not be empty: it keys the API key hashes")
    checked_scopes = _checked_scopes(scopes)
    limit = _checked_datasets(session, datasets, checked_scopes)
    prefix = f"{KEY_MARKER}_{secrets.token_hex(4)}"
    plaintext = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        name=name,
        prefix=prefix,
        hash=hash_api_key(plaintext, secret_key),
        scopes=checked_scopes,
        datasets=limit,
    )
    session.add(key)
    session.flush()
    return key, plaintext


def verify_api_key(
    session: Session, plaintext: str, secret_key: str, touch: bool = True
) -> ApiKey | None:
    """The live key record matching `plaintext`, or None (unknown, malformed or revoked).

    `touch` records the use in `last_used_at`.
    """
    marker, _, rest = plaintext.partition("_")
    key_id, _, _ = rest.partition("_")
    if marker != KEY_MARKER or not key_id:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == f"{marker}_{key_id}"))
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.hash, hash_api_key(plaintext, secret_key)):
        return None
    if touch:
        key.last_used_at = utc_now()
        session.flush()
    return key


def _key(session: Session, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise RecordNotFoundError(f"API key id {key_id} does not exist")
    return key


def revoke_api_key(session: Session, key_id: int) -> ApiKey:
    """Revoke a key for good; revoking twice keeps the first revocation time."""
    key = _key(session, key_id)
    if key.revoked_at is None:
        key.revoked_at = utc_now()
        session.flush()
    return key


def set_api_key_scopes(session: Session, key_id: int, scopes: Iterable[str]) -> ApiKey:
    key = _key(session, key_id)
    scopes = _checked_scopes(scopes)
    if key.datasets is not None and "admin" in scopes:
        raise ValueError(f"API key id {key_id} is limited to datasets: it cannot be admin")
    key.scopes = scopes
    session.flush()
    return key


def list_api_keys(session: Session, include_revoked: bool = False) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session.scalars(query))


def touch_api_key(session: Session, key_id: int) -> None:
    """Record a use of the key now (`last_used_at`), in one UPDATE without loading it."""
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utc_now()))
