"""Errors: one JSON shape, request ids on every answer, no stack trace to the client."""

from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient

from api.logging import JsonFormatter, new_request_id, request_id_var
from api.main import create_app


def test_unexpected_errors_are_500_json_without_a_trace(api_settings, api_options):
    app = create_app(api_settings, api_options)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error" and "req-500" in error["message"]
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert response.headers["X-Request-ID"] == "req-500"


def test_unknown_routes_and_methods_use_the_error_shape(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = client.put("/health")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_a_request_id_is_made_when_none_or_a_strange_one_is_sent(client):
    made = client.get("/health").headers["X-Request-ID"]
    assert len(made) == 32
    strange = client.get("/health", headers={"X-Request-ID": "x" * 200}).headers["X-Request-ID"]
    assert strange != "x" * 200
    assert new_request_id("ok-id_1.2:3") == "ok-id_1.2:3"


def test_log_lines_are_json_with_the_request_id_and_extras():
    token = request_id_var.set("rid-9")
    try:
        record = logging.makeLogRecord(
            {
                "name": "api.access",
                "levelno": 20,
                "levelname": "INFO",
                "msg": "GET %s",
                "args": ("/x",),
            }
        )
        record.status = 200
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "GET /x" and line["request_id"] == "rid-9"
    assert line["status"] == 200 and line["level"] == "INFO"
