"""Per-request bookkeeping as plain ASGI middleware: request id, access log line, metrics.

It also turns an unexpected exception into the JSON 500 answer while the request id is still
known, logging the traceback server-side only. Plain ASGI (not `BaseHTTPMiddleware`) keeps
the overhead per request small.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi.responses import JSONResponse

from api.errors import error_body
from api.logging import REQUEST_ID_HEADER, new_request_id, request_id_var
from api.metrics import ApiMetrics

__all__ = ["RequestContextMiddleware"]

logger = logging.getLogger("api.access")
_HEADER = REQUEST_ID_HEADER.lower().encode()


class RequestContextMiddleware:
    def __init__(self, app: Any, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = dict(scope.get("headers") or []).get(_HEADER)
        request_id = new_request_id(offered.decode("latin-1") if offered else None)
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status, started_response = 500, False

        async def send_with_id(message: dict) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status, started_response = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started_response:
                raise
            message = f"an unexpected error occurred; quote request id {request_id} to report it"
            response = JSONResponse(error_body("internal_error", message), status_code=500)
            await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            logger.info(
                "%s %s %d",
                method,
                scope.get("path", ""),
                status,
                extra={"route": route, "status": status, "duration_ms": round(elapsed * 1e3, 2)},
            )
            request_id_var.reset(token)
