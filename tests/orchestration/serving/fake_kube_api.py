"""A loopback stand-in for the Kubernetes API server that answers with recorded responses.

Each route (method + path) has a queue of recorded answers: one is taken per request and the
last one repeats, so a test scripts a rollout as the API server would report it over time.
Every request is kept (method, path, query, content type, JSON body) for the test to check,
and a request to a route with no answers gets the API server's 404 Status. The real
`kubernetes` client talks to it through an ordinary kubeconfig file.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

RECORDED = json.loads((Path(__file__).parent / "recorded" / "kubernetes_rollout.json").read_text())
TOKEN = "recorded-test-token"


@dataclass
class SeenRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str | None
    authorization: str | None
    body: Any
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class FakeKubeApi:
    """Routes `(method, path)` -> answers `(status code, recorded name or body)` in order."""

    routes: dict[tuple[str, str], list[tuple[int, str | dict]]]
    seen: list[SeenRequest] = field(default_factory=list)
    url: str = ""

    def answer(self, method: str, path: str) -> tuple[int, Any]:
        queue = self.routes.get((method, path))
        if not queue:
            return 404, RECORDED["not_found"]
        status, answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return status, RECORDED[answer] if isinstance(answer, str) else answer

    def requests(self, method: str, path: str | None = None) -> list[SeenRequest]:
        return [r for r in self.seen if r.method == method and path in (None, r.path)]


def _handler(api: FakeKubeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            api.seen.append(
                SeenRequest(
                    self.command, parts.path, parse_qs(parts.query),
                    self.headers.get("Content-Type"), self.headers.get("Authorization"),
                    json.loads(raw) if raw else None,
                )
            )  # fmt: skip
            status, body = api.answer(self.command, parts.path)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PATCH = _serve

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

    return Handler


@contextmanager
def fake_kube_api(
    routes: dict[tuple[str, str], list[tuple[int, str | dict]]],
) -> Iterator[FakeKubeApi]:
    """Serve `routes` on a free loopback port until the block ends."""
    api = FakeKubeApi({key: list(value) for key, value in routes.items()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def write_kubeconfig(path: Path, server_url: str, namespace: str = "quantis") -> Path:
    """A kubeconfig whose only context points at `server_url` with a bearer token."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "recorded", "cluster": {"server": server_url}}],
        "users": [{"name": "recorded", "user": {"token": TOKEN}}],
        "contexts": [
            {
                "name": "recorded",
                "context": {"cluster": "recorded", "user": "recorded", "namespace": namespace},
            }
        ],
        "current-context": "recorded",
    }
    path.write_text(yaml.safe_dump(config))
    return path
