"""The Dagster GraphQL client: queries valid for Dagster's schema, answers parsed as recorded."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from api.pipeline import (
    ASSET_HEALTH_QUERY,
    LATEST_RUNS_QUERY,
    LAUNCH_RUN_MUTATION,
    SCHEDULES_QUERY,
    DagsterClient,
    PipelineError,
    PipelineUnavailableError,
)

RECORDED = json.loads((Path(__file__).parent / "recorded" / "dagster_graphql.json").read_text())


def recorded_transport(answers: dict[str, str], seen: list[dict] | None = None):
    """Answers each GraphQL operation (by name) with a recorded response."""

    def handle(request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        if seen is not None:
            seen.append(payload)
        operation = payload["query"].split("(")[0].split("{")[0].split()[-1]
        return httpx.Response(200, json=RECORDED[answers[operation]])

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    "document", [LATEST_RUNS_QUERY, ASSET_HEALTH_QUERY, SCHEDULES_QUERY, LAUNCH_RUN_MUTATION]
)
def test_documents_are_valid_for_dagsters_graphql_schema(document):
    import graphql
    from dagster_graphql.schema import create_schema

    schema = create_schema().graphql_schema
    assert graphql.validate(schema, graphql.parse(document)) == []


def test_latest_runs_are_parsed():
    client = DagsterClient("http://dagster", transport=recorded_transport({"LatestRuns": "runs"}))
    [run] = client.latest_runs(5)
    assert run["job_name"] == "retrain" and run["status"] == "QUEUED"
    assert run["created_at"] > 0 and run["started_at"] is None
    assert run["tags"]["dagster/code_location"] == "test_location"


def test_runs_of_one_job_are_asked_of_dagsters_filter():
    seen: list[dict] = []
    transport = recorded_transport({"LatestRuns": "runs_of_retrain"}, seen)
    [run] = DagsterClient("http://dagster", transport=transport).latest_runs(5, job="retrain")
    assert run["job_name"] == "retrain"
    assert seen[0]["variables"] == {"limit": 5, "filter": {"pipelineName": "retrain"}}


def test_all_runs_send_no_filter_and_an_unknown_job_has_none():
    seen: list[dict] = []
    transport = recorded_transport({"LatestRuns": "runs"}, seen)
    DagsterClient("http://dagster", transport=transport).latest_runs(5)
    assert seen[0]["variables"] == {"limit": 5, "filter": None}
    unknown = recorded_transport({"LatestRuns": "runs_of_unknown_job"})
    assert DagsterClient("http://dagster", transport=unknown).latest_runs(job="no_such_job") == []


def test_schedules_are_parsed_with_status_and_next_tick():
    seen: list[dict] = []
    transport = recorded_transport({"Schedules": "schedules"}, seen)
    schedules = DagsterClient("http://dagster", transport=transport).schedules("quantis")
    assert seen[0]["variables"] == {"location": "quantis", "repository": "__repository__"}
    by_name = {s["name"]: s for s in schedules}
    assert [s["name"] for s in schedules] == sorted(by_name)
    backup = by_name["backup_daily"]
    assert backup["job_name"] == "backup" and backup["cron_schedule"] == "0 2 * * *"
    assert backup["status"] == "RUNNING" and backup["next_tick_at"] > 0
    assert backup["execution_timezone"] == "UTC"
    # Dagster gives no next tick for a stopped schedule.
    retrain = by_name["retrain_weekly"]
    assert retrain["status"] == "STOPPED" and retrain["next_tick_at"] is None


def test_schedules_of_an_unknown_location_raise_with_dagsters_message():
    transport = recorded_transport({"Schedules": "schedules_not_found"})
    with pytest.raises(PipelineError, match="no_such_location does not exist"):
        DagsterClient("http://dagster", transport=transport).schedules("no_such_location")


def test_asset_health_lists_every_asset_with_its_group():
    client = DagsterClient(
        "http://dagster", transport=recorded_transport({"AssetHealth": "assets"})
    )
    assets = {a["asset_key"]: a for a in client.asset_health()}
    assert {"observations", "trained_model", "model_deployment"} <= set(assets)
    assert assets["trained_model"]["group"] == "training"
    # Health is null on an instance without asset health enabled: shown as UNKNOWN.
    assert assets["trained_model"]["health"] == "UNKNOWN"


def test_launch_sends_the_job_location_and_dataset_partition_and_returns_the_run():
    seen: list[dict] = []
    transport = recorded_transport({"LaunchRun": "launch_ok"}, seen)
    launched = DagsterClient("http://dagster", transport=transport).launch_job("retrain", "quantis")
    assert launched["job_name"] == "retrain" and launched["status"] == "QUEUED"
    assert seen[0]["variables"] == {
        "location": "quantis",
        "repository": "__repository__",
        "job": "retrain",
        "tags": [
            {"key": "dagster/partition", "value": "default"},
            {"key": "quantis/dataset", "value": "default"},
        ],
    }


def test_a_launch_dagster_refuses_raises_with_its_message():
    transport = recorded_transport({"LaunchRun": "launch_not_found"})
    with pytest.raises(PipelineError, match="Could not find Pipeline"):
        DagsterClient("http://dagster", transport=transport).launch_job("no_such_job", "quantis")


def test_graphql_errors_and_an_unreachable_webserver_are_told_apart():
    broken = httpx.MockTransport(
        lambda request: httpx.Response(200, json={"errors": [{"message": "bad field"}]})
    )
    with pytest.raises(PipelineError, match="bad field"):
        DagsterClient("http://dagster", transport=broken).latest_runs()
    with pytest.raises(PipelineUnavailableError, match="cannot be reached"):
        DagsterClient("http://127.0.0.1:9", timeout_s=2).latest_runs()
