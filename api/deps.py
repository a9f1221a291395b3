"""Typed dependencies so handlers read like sentences: `session: SessionDep`, `caller: Writer`.

Authentication and scope checks live here, once, not in the handlers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.auth import Caller, grants, key_from_headers
from api.errors import ApiError
from api.state import ApiState
from core.db.repositories.api_keys import touch_api_key, verify_api_key

__all__ = [
    "Admin",
    "Authenticated",
    "Reader",
    "RequestIdDep",
    "SessionDep",
    "StateDep",
    "Writer",
]


# Trivial dependencies are async so they run on the event loop, not through the thread pool.
async def get_state(request: Request) -> ApiState:
    return request.app.state.quantis


StateDep = Annotated[ApiState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """A session per request; handlers commit their writes, anything else is rolled back."""
    with state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_request_id(request: Request) -> str:
    return request.scope.get("state", {}).get("request_id") or ""


RequestIdDep = Annotated[str, Depends(get_request_id)]

_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}
# Declared as security schemes so the OpenAPI document and /docs show how to authenticate.
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <API key>`")
_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="`X-API-Key: <API key>`"
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
ApiKeyHeaderDep = Annotated[str | None, Depends(_api_key_header)]


def _authenticate(
    state: ApiState,
    session: Session,
    request_id: str,
    bearer_token: str | None,
    x_api_key: str | None,
) -> Caller:
    plaintext = key_from_headers(bearer_token, x_api_key)
    if plaintext is None:
        raise ApiError(
            401,
            "unauthorized",
            "an API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`",
            headers=_UNAUTHORIZED,
        )
    secret = state.settings.secret_key.get_secret_value()
    key = verify_api_key(session, plaintext, secret, touch=False)
    if key is None:
        raise ApiError(
            401, "unauthorized", "the API key is unknown or revoked", headers=_UNAUTHORIZED
        )
    if state.key_touch_due(key.id):
        with state.sessions.begin() as touch:
            touch_api_key(touch, key.id)
    limit = tuple(key.datasets) if key.datasets is not None else None
    return Caller(key.id, key.name, tuple(key.scopes), request_id, datasets=limit)


def require(scope: str | None):
    """A dependency that authenticates the request, checks `scope` (None: any valid key may
    call) and the rate limit."""

    def dependency(
        state: StateDep,
        session: SessionDep,
        request_id: RequestIdDep,
        bearer: BearerDep,
        x_api_key: ApiKeyHeaderDep,
    ) -> Caller:
        token = bearer.credentials if bearer is not None else None
        caller = _authenticate(state, session, request_id, token, x_api_key)
        if scope is not None and not grants(caller.scopes, scope):
            raise ApiError(
                403,
                "forbidden",
                f"this API key lacks the {scope!r} scope (it has {list(caller.scopes)})",
            )
        retry_after = state.rate_limiter.acquire(caller.key_id)
        if retry_after is not None:
            raise ApiError(
                429,
                "rate_limited",
                f"rate limit of this API key exceeded; retry in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            )
        return caller

    return dependency


Authenticated = Annotated[Caller, Depends(require(None))]
Reader = Annotated[Caller, Depends(require("read"))]
Writer = Annotated[Caller, Depends(require("write"))]
Admin = Annotated[Caller, Depends(require("admin"))]
