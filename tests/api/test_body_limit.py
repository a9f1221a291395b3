"""The API's own request-body limit (`api_max_body_bytes`): a 413 in the JSON error shape,
decided from Content-Length before the body is read, and while a body without one streams."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient

from api.body_limit import BodyLimitMiddleware, too_large_message
from api.config import ApiOptions
from api.main import create_app
from core.settings import load_settings

LIMIT = 4096


def _run(middleware: BodyLimitMiddleware, headers: list, chunks: list[bytes]) -> dict:
    """Drive the middleware as a server would: what it sent, and how many chunks were read."""
    scope = {"type": "http", "method": "POST", "path": "/x", "headers": headers}
    read, sent = [], []
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive() -> dict:
        read.append(pending[len(read)])
        return read[-1]

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(middleware(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return {"status": start["status"], "body": body, "chunks_read": len(read)}


async def _read_all(scope, receive, send) -> None:
    """An app that reads its whole body and answers 200 with its length."""
    size, more = 0, True
    while more:
        message = await receive()
        size, more = size + len(message.get("body", b"")), message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


def test_a_declared_length_over_the_limit_is_refused_before_any_body_is_read():
    middleware = BodyLimitMiddleware(_read_all, max_bytes=LIMIT)
    answer = _run(middleware, [(b"content-length", str(LIMIT + 1).encode())], [b"x"] * 3)
    assert answer["status"] == 413 and answer["chunks_read"] == 0
    assert json.loads(answer["body"]) == {
        "error": {"code": "payload_too_large", "message": too_large_message(LIMIT), "details": None}
    }


def test_a_body_without_a_length_is_refused_once_it_streams_past_the_limit():
    chunks = [b"x" * 1000] * 10
    with pytest.raises(Exception, match="larger than the limit of 4096 bytes"):
        # Bare, the middleware raises from the body read; the app's handlers answer it (below).
        _run(BodyLimitMiddleware(_read_all, max_bytes=LIMIT), [], chunks)
    within = _run(BodyLimitMiddleware(_read_all, max_bytes=LIMIT), [], chunks[:4])
    assert within == {"status": 200, "body": b"4000", "chunks_read": 4}


@pytest.fixture
def small_limit_client(scratch_database, tmp_path):
    url, key = scratch_database("write")
    options = ApiOptions(max_body_bytes=LIMIT, frontend_dir=tmp_path / "no-frontend")
    with TestClient(create_app(load_settings(database_url=url), options)) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield client


def _csv_upload(client: TestClient, body_bytes: int):
    """A CSV upload whose whole multipart body is exactly `body_bytes` long."""
    path = "/api/v1/observations/csv?create_missing_series=true"

    def request(rows: int, pad: int):
        text = "series,ts,value\n" + "".join(
            f"s,2024-01-{1 + i:02d},{'0' * pad if i == 0 else ''}{i}\n" for i in range(rows)
        )
        files = {"file": ("obs.csv", text.encode(), "text/csv")}
        return client.build_request("POST", path, files=files)

    rows = 28  # one row per day: the file stays a valid upload
    base = len(request(rows, 0).read())
    built = request(rows, body_bytes - base)
    assert len(built.read()) == body_bytes
    return client.send(built)


def test_a_csv_just_under_the_limit_is_stored_and_one_just_over_is_413(small_limit_client):
    under = _csv_upload(small_limit_client, LIMIT)
    assert under.status_code == 200, under.text
    over = _csv_upload(small_limit_client, LIMIT + 1)
    assert over.status_code == 413
    assert over.json()["error"] == {
        "code": "payload_too_large",
        "message": too_large_message(LIMIT),
        "details": None,
    }


def test_a_chunked_body_over_the_limit_is_a_json_413(small_limit_client):
    def chunks():
        yield b'{"observations": ['
        for _ in range(100):
            yield b'{"series": "a", "ts": "2024-01-01T00:00:00Z", "value": 1},'

    response = small_limit_client.post(
        "/api/v1/observations", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["message"] == too_large_message(LIMIT)


def test_the_limit_is_the_setting():
    assert ApiOptions.from_settings(load_settings(api_max_body_bytes=12345)).max_body_bytes == 12345
    assert load_settings().api_max_body_bytes == 16 * 1024 * 1024 == ApiOptions().max_body_bytes
