"""A running API and model server with every operational gauge populated, for the metric-name
test and the real-Prometheus test.

The database holds a tiny panel, a successful backup, a failed drill and a scored day of live
accuracy; the registry a champion with a backtest MASE; a fake Dagster (a thread answering
GraphQL with the recorded shape) has one successful and one failed run; one forecast through
the API makes the request, latency and model-server counters appear on both servers.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from browser_stack import RunningApi
from served_model import FREQ, REPO_ROOT, RunningModelServer, register_champion, tiny_panel

from core.backup import catalog
from core.db.engine import make_engine, session_scope
from core.db.migrate import upgrade
from core.db.repositories.api_keys import create_api_key
from core.db.repositories.backups import record_backup_finished, record_backup_started
from core.db.repositories.live_accuracy import AccuracyRow, replace_day
from core.db.repositories.observations import upsert_panel
from core.db.repositories.series import get_series_by_name
from core.settings import Settings, load_settings

__all__ = ["FakeDagster", "MonitoredStack"]

RECORDED = REPO_ROOT / "tests" / "api" / "recorded" / "dagster_graphql.json"


def _runs_answer() -> bytes:
    """The recorded `runs` answer with one successful and one failed finished run added."""
    answer = json.loads(RECORDED.read_text())["runs"]
    [queued] = answer["data"]["runsOrError"]["results"]
    finished = [
        queued | {"runId": "r-failed", "jobName": "retrain", "status": "FAILURE",
                  "startTime": 1795800000.0, "endTime": 1795800100.0},
        queued | {"runId": "r-ok", "jobName": "ingestion", "status": "SUCCESS",
                  "startTime": 1795700000.0, "endTime": 1795700050.0},
    ]  # fmt: skip
    answer["data"]["runsOrError"]["results"] = [queued, *finished]
    return json.dumps(answer).encode()


class FakeDagster:
    """Answers every GraphQL POST with the runs answer (all the metrics ask Dagster)."""

    def __init__(self) -> None:
        body = _runs_answer()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's spelling)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _seed(settings: Settings, artifacts: Path) -> tuple[str, int]:
    upgrade(settings.database_url)
    registry = register_champion(
        settings.mlflow_tracking_uri, settings.registered_model_name, artifacts, 0.8
    )
    panel = tiny_panel(n_series=2, length=60)
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        upsert_panel(session, panel, frequency=FREQ)
        series = get_series_by_name(session, sorted(panel["unique_id"].unique())[0])
        record_backup_started(session, backup_id="b1", kind=catalog.BACKUP_KIND, location="x")
        record_backup_finished(session, "b1", status="succeeded")
        row = AccuracyRow("1", series.id, 2, 1.1, 10.0, 0.0, 1.0, {"80": 0.5, "95": 1.0})
        replace_day(session, date(2026, 1, 1), registry.model_name, [row])
        _, key = create_api_key(
            session, name="monitoring", scopes=["write"],
            secret_key=settings.secret_key.get_secret_value(),
        )  # fmt: skip
        series_id = series.id
    engine.dispose()
    catalog.record_drill(settings.database_url, "d1", "x", False, {"error": "test"})
    return key, series_id


@dataclass
class MonitoredStack:
    home: Path
    model_dir: Path
    model_server: RunningModelServer = field(init=False)
    dagster: FakeDagster | None = None
    api: RunningApi | None = None

    @property
    def api_url(self) -> str:
        return self.api.url

    @property
    def api_port(self) -> int:
        return self.api.port

    def _environment(self, settings_home: Path) -> dict[str, str]:
        return {
            "QUANTIS_HOME": str(settings_home),
            "QUANTIS_SECRETS_DIR": str(settings_home / "no-secrets"),
            "QUANTIS_MODEL_SERVER_URL": self.model_server.url,
            "QUANTIS_DAGSTER_URL": self.dagster.url,
        }

    def start(self) -> MonitoredStack:
        self.model_server = RunningModelServer(self.model_dir, self.home / "logs")
        self.model_server.start()
        self.dagster = FakeDagster()
        environment = self._environment(self.home / "quantis")
        settings = load_settings(home=self.home / "quantis").ensure_home()
        key, series_id = _seed(settings, self.home / "artifacts")
        self.api = RunningApi(environment, self.home / "logs").start()
        forecast = httpx.post(
            f"{self.api_url}/api/v1/forecasts",
            json={"series_ids": [series_id], "horizon": 3},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        if forecast.status_code != 201:
            raise RuntimeError(f"the forecast failed: {forecast.status_code} {forecast.text}")
        self._wait_for_the_registry_read()
        return self

    def _wait_for_the_registry_read(self, timeout_s: float = 120.0) -> None:
        """The API reads the registry in the background from its start; until that first read
        ends, /metrics has no registry gauges (a scrape never waits for it)."""
        deadline = time.monotonic() + timeout_s
        while 'source="registry"' not in httpx.get(f"{self.api_url}/metrics", timeout=30).text:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API did not read the registry in {timeout_s:.0f} s")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.api is not None:
            self.api.stop()
        self.model_server.stop()
        if self.dagster is not None:
            self.dagster.stop()
            self.dagster = None
