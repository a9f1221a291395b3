"""`/api/v1/keys/me`: the API key behind the request (any valid key may ask)."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import SCOPES, grants
from api.deps import Authenticated, SessionDep
from api.errors import ApiError
from api.routes import API_PREFIX
from api.schemas.common import errors
from api.schemas.keys import ApiKeyIdentity
from core.db.tables import ApiKey

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/keys", tags=["keys"])


@router.get("/me", response_model=ApiKeyIdentity, responses=errors())
def who_am_i(session: SessionDep, caller: Authenticated) -> ApiKeyIdentity:
    """Who the sent key is: its id, name, scopes (given and implied), the datasets it is
    limited to, and when it was made."""
    key = session.get(ApiKey, caller.key_id)
    if key is None:  # revoked and deleted between authentication and this read
        raise ApiError(
            401,
            "unauthorized",
            "the API key is unknown or revoked",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return ApiKeyIdentity(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=list(key.scopes),
        granted=[scope for scope in SCOPES if grants(key.scopes, scope)],
        datasets=list(key.datasets) if key.datasets is not None else None,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
    )
