"""The request-body limit, enforced by the API itself (`QUANTIS_API_MAX_BODY_BYTES`).

A body whose `Content-Length` is over the limit is answered 413 before any of it is read; a
body without one (chunked) is counted as it streams in and refused as soon as it passes the
limit, so no request is ever read whole first. Both answers have the JSON error shape. The
frontend's nginx, the Ingress and compose take the same value (deploy/README.md).
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import error_body

__all__ = ["BodyLimitMiddleware", "too_large_message"]

_CONTENT_LENGTH = b"content-length"


def too_large_message(max_bytes: int) -> str:
    """The 413's message; deploy/docker/frontend/nginx.conf answers with the same words."""
    return f"the request body is larger than the limit of {max_bytes} bytes"


class BodyLimitMiddleware:
    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(_CONTENT_LENGTH, b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            body = error_body("payload_too_large", too_large_message(self.max_bytes))
            # The unread body stays on the connection: close it rather than read it all.
            await JSONResponse(body, status_code=413, headers={"Connection": "close"})(
                scope, receive, send
            )
            return
        received = 0

        async def counted_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the handler's body read: the error handlers answer it.
                    raise StarletteHTTPException(413, too_large_message(self.max_bytes))
            return message

        await self.app(scope, counted_receive, send)
