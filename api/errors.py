"""One JSON error shape for every failure: `{"error": {"code", "message", "details"}}`.

Handlers map our exceptions, FastAPI's validation errors, data-layer errors and anything
unexpected to that shape; an unexpected error is logged with its traceback and the client
gets only the request id to quote.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.logging import current_request_id
from core.db.errors import DuplicateRecordError, InvalidStateError, RecordNotFoundError

__all__ = ["ApiError", "error_body", "install_error_handlers"]

logger = logging.getLogger("api.errors")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    503: "unavailable",
}


_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class ApiError(Exception):
    """An error answer: HTTP status, a stable machine code, a message and optional details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details, headers


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _respond(status: int, code: str, message: str, details: Any = None, headers=None):
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _validation_details(error: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(item.get("loc", ())), "message": item.get("msg", ""), "type": item["type"]}
        for item in error.errors()
    ]


async def _api_error(_request: Request, error: ApiError) -> JSONResponse:
    return _respond(error.status, error.code, error.message, error.details, error.headers)


async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
    details = _validation_details(error)
    where = ", ".join(".".join(str(part) for part in d["loc"]) for d in details[:5])
    return _respond(422, "invalid_input", f"the request is invalid at: {where}", details)


def _allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI document lists for the request's path. Starlette's own `Allow`
    names only the first route whose path matched, and GET and POST of one path are two
    routes here; `/models/rollback` also fits `/models/{version}`, and the template with
    fewer parameters is the resource the path names."""
    path = request.scope.get("path", "")
    matches = []
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            matches.append((template.count("{"), operations))
    if not matches:
        return []
    _, operations = min(matches, key=lambda match: match[0])
    return sorted(method.upper() for method in operations if method in _HTTP_METHODS)


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(error.status_code, "http_error")
    headers = dict(error.headers or {})
    if error.status_code == 405 and (allowed := _allowed_methods(request)):
        headers["Allow"] = ", ".join(allowed)
    return _respond(error.status_code, code, str(error.detail), None, headers or None)


async def _not_found(_request: Request, error: RecordNotFoundError) -> JSONResponse:
    return _respond(404, "not_found", str(error))


async def _conflict(_request: Request, error: Exception) -> JSONResponse:
    return _respond(409, "conflict", str(error))


async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
    request_id = current_request_id()
    logger.exception("unhandled error", extra={"error_type": type(error).__name__})
    return _respond(
        500,
        "internal_error",
        f"an unexpected error occurred; quote request id {request_id} when reporting it",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RecordNotFoundError, _not_found)
    app.add_exception_handler(DuplicateRecordError, _conflict)
    app.add_exception_handler(InvalidStateError, _conflict)
    app.add_exception_handler(Exception, _unexpected)
