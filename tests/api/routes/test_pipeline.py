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
from core.db.tables import Dataset

RECORDED = json.loads((Path(__file__).parents[1] / "recorded" / "dagster_graphql.json").read_text())
ANSWERS = {
    "LatestRuns": "runs",
    "AssetHealth": "assets",
    "Schedules": "schedules",
    "LaunchRun": "launch_ok",
}
# Runs of one job, as Dagster answered its `pipelineName` filter.
RUNS_OF_JOB = {"retrain": "runs_of_retrain", "no_such_job": "runs_of_unknown_job"}


@pytest.fixture
def dagster_client(api_settings, api_options):
    """An API whose Dagster client gets the recorded answers; `client.graphql` holds the
    requests' payloads."""
    seen = []

    def handle(request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        seen.append(payload)
        operation = payload["query"].split("(")[0].split("{")[0].split()[-1]
        job = ((payload.get("variables") or {}).get("filter") or {}).get("pipelineName")
        answer = RUNS_OF_JOB[job] if operation == "LatestRuns" and job else ANSWERS[operation]
        return httpx.Response(200, json=RECORDED[answer])

    state = build_state(api_settings, api_options)
    state.pipeline = DagsterClient("http://dagster", transport=httpx.MockTransport(handle))
    with TestClient(create_app(api_settings, api_options, state=state)) as client:
        client.graphql = seen
        yield client


def test_runs_and_assets_from_dagster(dagster_client, headers):
    reader = headers("read")
    runs = dagster_client.get("/api/v1/pipeline/runs?limit=5", headers=reader)
    assert runs.status_code == 200, runs.text
    assert runs.json()[0]["job_name"] == "retrain"
    assets = dagster_client.get("/api/v1/pipeline/assets", headers=reader).json()
    assert {a["asset_key"] for a in assets} >= {"observations", "registered_model"}


def test_runs_filtered_by_job_and_an_unknown_job_is_an_empty_list(dagster_client, headers):
    reader = headers("read")
    retrain = dagster_client.get("/api/v1/pipeline/runs?job=retrain", headers=reader)
    assert retrain.status_code == 200, retrain.text
    assert retrain.json() and {run["job_name"] for run in retrain.json()} == {"retrain"}
    unknown = dagster_client.get("/api/v1/pipeline/runs?job=no_such_job", headers=reader)
    assert unknown.status_code == 200 and unknown.json() == []
    assert dagster_client.get("/api/v1/pipeline/runs?job=", headers=reader).status_code == 422


@pytest.fixture
def tagged_runs_client(api_settings, api_options):
    """An API whose Dagster answers three runs: of `web`, of `default`, and of no dataset (a
    backup); the `web` dataset exists."""
    answer = RECORDED["runs"]
    (recorded,) = answer["data"]["runsOrError"]["results"]
    runs = [
        {**recorded, "runId": run_id, "tags": recorded["tags"] + tags}
        for run_id, tags in [
            ("web-run", [{"key": "quantis/dataset", "value": "web"}]),
            ("default-run", [{"key": "quantis/dataset", "value": "default"}]),
            ("backup-run", []),  # no dataset's
        ]
    ]
    document = {"data": {"runsOrError": {**answer["data"]["runsOrError"], "results": runs}}}
    state = build_state(api_settings, api_options)
    state.pipeline = DagsterClient(
        "http://dagster",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=document)),
    )
    engine = make_engine(api_settings.database_url)
    with session_scope(engine) as session:
        session.add(Dataset(name="web", config={}))
    engine.dispose()
    with TestClient(create_app(api_settings, api_options, state=state)) as client:
        yield client


def _run_ids(client, headers, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/pipeline/runs{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [run["run_id"] for run in response.json()]


def test_a_key_limited_to_datasets_gets_no_run_of_another(tagged_runs_client, api_key):
    limited = {"X-API-Key": api_key("read", datasets=["web"])}
    assert _run_ids(tagged_runs_client, limited) == ["web-run", "backup-run"]
    everything = _run_ids(tagged_runs_client, {"X-API-Key": api_key("read")})
    assert everything == ["web-run", "default-run", "backup-run"]


def test_runs_of_one_dataset_keep_the_platform_runs(tagged_runs_client, api_key):
    reader = {"X-API-Key": api_key("read")}
    assert _run_ids(tagged_runs_client, reader, "?dataset=web") == ["web-run", "backup-run"]
    assert _run_ids(tagged_runs_client, reader, "?dataset=default") == [
        "default-run",
        "backup-run",
    ]
    unknown = tagged_runs_client.get("/api/v1/pipeline/runs?dataset=nope", headers=reader)
    assert unknown.status_code == 404, unknown.text
    limited = {"X-API-Key": api_key("read", datasets=["web"])}
    hidden = tagged_runs_client.get("/api/v1/pipeline/runs?dataset=default", headers=limited)
    assert hidden.status_code == 404, hidden.text


def test_schedules_from_dagster_need_read(dagster_client, headers):
    response = dagster_client.get("/api/v1/pipeline/schedules", headers=headers("read"))
    assert response.status_code == 200, response.text
    schedules = {s["name"]: s for s in response.json()}
    assert schedules["backup_daily"] == {
        "name": "backup_daily",
        "cron_schedule": "0 2 * * *",
        "execution_timezone": "UTC",
        "job_name": "backup",
        "description": schedules["backup_daily"]["description"],
        "status": "RUNNING",
        "next_tick_at": schedules["backup_daily"]["next_tick_at"],
    }
    assert schedules["backup_daily"]["next_tick_at"] > 0
    assert schedules["retrain_weekly"]["status"] == "STOPPED"
    assert schedules["retrain_weekly"]["next_tick_at"] is None
    assert dagster_client.get("/api/v1/pipeline/schedules").status_code == 401


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
    assert launched.json()["dataset"] == "default"
    assert _launched_partition(dagster_client) == "default"


def _launched_partition(client) -> str:
    (launch,) = [p for p in client.graphql if p["query"].lstrip().startswith("mutation")][-1:]
    tags = {tag["key"]: tag["value"] for tag in launch["variables"]["tags"]}
    assert tags["quantis/dataset"] == tags["dagster/partition"]
    return tags["dagster/partition"]


def test_retrain_launches_the_partition_of_the_dataset_named(dagster_client, headers):
    admin = headers("admin")
    created = dagster_client.post("/api/v1/datasets", json={"name": "web"}, headers=admin)
    assert created.status_code == 201, created.text
    launched = dagster_client.post("/api/v1/pipeline/retrain?dataset=web", headers=admin)
    assert launched.status_code == 202, launched.text
    assert launched.json()["dataset"] == "web" and _launched_partition(dagster_client) == "web"
    launches = len(dagster_client.graphql)
    unknown = dagster_client.post("/api/v1/pipeline/retrain?dataset=absent", headers=admin)
    assert unknown.status_code == 404 and "absent" in unknown.json()["error"]["message"]
    assert len(dagster_client.graphql) == launches  # nothing was launched


@pytest.mark.parametrize("route", ["/api/v1/pipeline/runs", "/api/v1/pipeline/schedules"])
def test_dagster_down_is_503_with_the_address(client, headers, api_options, route):
    response = client.get(route, headers=headers("read"))
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "pipeline_unavailable" and api_options.dagster_url in error["message"]


def test_a_dagster_error_on_schedules_is_502(api_settings, api_options, headers):
    answer = RECORDED["schedules_not_found"]
    state = build_state(api_settings, api_options)
    state.pipeline = DagsterClient(
        "http://dagster", transport=httpx.MockTransport(lambda r: httpx.Response(200, json=answer))
    )
    with TestClient(create_app(api_settings, api_options, state=state)) as client:
        response = client.get("/api/v1/pipeline/schedules", headers=headers("read"))
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "pipeline_error"
