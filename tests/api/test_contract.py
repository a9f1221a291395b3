"""The OpenAPI document is exact: Schemathesis, every check, against the running API.

The API runs as a real uvicorn process on a scratch SQLite database (writes included), beside
a real model server and a Dagster stand-in, with its rate limit raised far above what the
run sends, and with a page to serve: the static fallback is mounted as with a built page
(a stand-in build: the mount, not the page's content, decides how API paths answer), so a
method a path lacks must still be 405. Every operation, `--checks all`, a bounded and seeded
run: zero failures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 30  # per operation and phase
SEED = 16


# A Dagster webserver stand-in: each GraphQL operation (by name) gets the answer recorded from
# a real Dagster.
RECORDED = json.loads((Path(__file__).parent / "recorded" / "dagster_graphql.json").read_text())
ANSWERS = {
    "LatestRuns": "runs",
    "AssetHealth": "assets",
    "Schedules": "schedules",
    "LaunchRun": "launch_ok",
}


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        operation = payload["query"].split("(")[0].split("{")[0].split()[-1]
        body = json.dumps(RECORDED[ANSWERS[operation]]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


class FakeDagster:
    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeDagster:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _stand_in_page(folder: Path) -> Path:
    """A built page's shape: index.html and a hashed asset under assets/."""
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text('<div id="root"></div><script src="./assets/i.js"></script>')
    (folder / "assets" / "i.js").write_text("")
    return folder


@pytest.fixture
def running_api(scratch_database, api_process, model_server, tmp_path):
    url, key = scratch_database("read", "write", "admin")
    page = _stand_in_page(tmp_path / "dist")
    with FakeDagster() as dagster:
        base = api_process(
            {
                "QUANTIS_FRONTEND_DIR": str(page),
                "QUANTIS_DATABASE_URL": url,
                "QUANTIS_MODEL_SERVER_URL": model_server.url,
                "QUANTIS_DAGSTER_URL": dagster.url,
                "QUANTIS_API_RATE_LIMIT_PER_MINUTE": "1000000",
                "QUANTIS_API_RATE_LIMIT_BURST": "100000",
            }
        )
        # The first registry call creates MLflow's tables: not within a test's timeout.
        warm_up = httpx.get(
            f"{base}/api/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=120
        )
        assert warm_up.status_code == 200, warm_up.text
        yield base, key


def test_schemathesis_finds_no_failure(running_api, tmp_path):
    base, key = running_api
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(Path(__file__).with_name("schemathesis.toml")),
        "run", f"{base}/openapi.json",
        "--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
        "--header", f"Authorization: Bearer {key}", "--workers", "1",
        "--no-color", "--report", "junit", "--report-dir", str(tmp_path / "report"),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout or " passed" in result.stdout, result.stdout
