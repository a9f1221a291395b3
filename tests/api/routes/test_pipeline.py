"""`/api/v1/pipeline`: runs and asset health from Dagster, retrain trigger (admin, audited)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import build_state, create_app
from api.pipeline import DagsterClient
from core.db.engine import make_engine, session_scope
from core.db.repositories.audit import list_audit

RECORDED = json.loads((Path(__file__).parents[1] / "recorded" / "dagster_graphql.json").read_text())
ANSWERS = {"LatestRuns": "runs", "AssetHealth": "assets", "LaunchRun": "launch_ok"}


@pytest.fixture
def dagster_client(api_settings, api_options):
    """An API whose Dagster client gets the recorded answers."""

    def handle(request: httpx.Request) -> httpx.Response:
        query = json.loads(request.content)["query"]
        operation = query.split("(")[0].split("{")[0].split()[-1]
        return httpx.Response(200, json=RECORDED[ANSWERS[operation]])

    state = build_state(api_settings, api_options)
    state.pipeline = DagsterClient("http://dagster", transport=httpx.MockTransport(handle))
    with TestClient(create_app(api_settings, api_options, state=state)) as client:
        yield client


def test_runs_and_assets_from_dagster(dagster_client, headers):
    reader = headers("read")
    runs = dagster_client.get("/api/v1/pipeline/runs?limit=5", headers=reader)
    assert runs.status_code == 200, runs.text
    assert runs.json()[0]["job_name"] == "retrain"
    assets = dagster_client.get("/api/v1/pipeline/assets", headers=reader).json()
    assert {a["asset_key"] for a in assets} >= {"observations", "registered_model"}


def test_retrain_needs_admin_launches_and_is_audited(dagster_client, headers, api_settings):
    assert (
        dagster_client.post("/api/v1/pipeline/retrain", headers=headers("write")).status_code == 403
    )
    launched = dagster_client.post("/api/v1/pipeline/retrain", headers=headers("admin"))
    assert launched.status_code == 202, launched.text
    run_id = launched.json()["run_id"]
    engine = make_engine(api_settings.database_url)
    with session_scope(engine) as session:
        [entry] = list_audit(session, action="pipeline.retrain").items
        assert entry.target == f"dagster:{run_id}"
    engine.dispose()


def test_dagster_down_is_503_with_the_address(client, headers, api_options):
    response = client.get("/api/v1/pipeline/runs", headers=headers("read"))
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "pipeline_unavailable" and api_options.dagster_url in error["message"]
