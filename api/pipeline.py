"""Client of the Dagster webserver's GraphQL API: latest runs, asset health, schedules,
retraining.

The queries are checked against Dagster's own GraphQL schema in the tests, and the client is
tested against recorded answers.
"""

from __future__ import annotations

from typing import Any

import httpx

from core.run_tags import DEFAULT_DATASET, dataset_tags

__all__ = [
    "ASSET_HEALTH_QUERY",
    "LATEST_RUNS_QUERY",
    "LAUNCH_RUN_MUTATION",
    "SCHEDULES_QUERY",
    "DagsterClient",
    "PipelineError",
    "PipelineUnavailableError",
]

LATEST_RUNS_QUERY = """
query LatestRuns($limit: Int!, $filter: RunsFilter) {
  runsOrError(limit: $limit, filter: $filter) {
    __typename
    ... on Runs {
      results { runId jobName status creationTime startTime endTime tags { key value } }
    }
    ... on PythonError { message }
    ... on InvalidPipelineRunsFilterError { message }
  }
}
"""

ASSET_HEALTH_QUERY = """
query AssetHealth {
  assetsOrError {
    __typename
    ... on AssetConnection {
      nodes {
        key { path }
        definition { groupName description }
        latestMaterializationTimestamp
        latestFailedToMaterializeTimestamp
        assetHealth { assetHealth materializationStatus assetChecksStatus freshnessStatus }
      }
    }
    ... on PythonError { message }
  }
}
"""

SCHEDULES_QUERY = """
query Schedules($location: String!, $repository: String!) {
  schedulesOrError(
    repositorySelector: { repositoryLocationName: $location, repositoryName: $repository }
  ) {
    __typename
    ... on Schedules {
      results {
        name
        cronSchedule
        executionTimezone
        pipelineName
        description
        scheduleState { status nextTick { timestamp } }
      }
    }
    ... on RepositoryNotFoundError { message }
    ... on PythonError { message }
  }
}
"""

LAUNCH_RUN_MUTATION = """
mutation LaunchRun(
  $location: String!, $repository: String!, $job: String!, $tags: [ExecutionTag!]
) {
  launchRun(
    executionParams: {
      selector: {
        repositoryLocationName: $location
        repositoryName: $repository
        jobName: $job
      }
      runConfigData: {}
      executionMetadata: { tags: $tags }
    }
  ) {
    __typename
    ... on LaunchRunSuccess { run { runId jobName status } }
    ... on PipelineNotFoundError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on RunConflict { message }
    ... on UnauthorizedError { message }
    ... on InvalidSubsetError { message }
    ... on PythonError { message }
  }
}
"""

# A `Definitions` object is served as a repository under this name.
DEFAULT_REPOSITORY = "__repository__"
# The run tag that names a partitioned run's partition (Dagster's own).
PARTITION_TAG = "dagster/partition"


class PipelineUnavailableError(RuntimeError):
    """The Dagster webserver cannot be reached (the API answers 503)."""


class PipelineError(RuntimeError):
    """Dagster answered with an error (unknown job, failed launch, GraphQL error)."""


def _epoch(value: float | None) -> float | None:
    return None if value is None else float(value)


class DagsterClient:
    """Reads runs and asset health and launches jobs through `<url>/graphql`."""

    def __init__(
        self, url: str, *, timeout_s: float = 10.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(timeout=timeout_s, transport=transport)

    def _execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        endpoint = f"{self.url}/graphql"
        try:
            response = self._http.post(endpoint, json={"query": query, "variables": variables})
        except httpx.HTTPError as error:
            raise PipelineUnavailableError(
                f"the Dagster webserver at {self.url} cannot be reached ({type(error).__name__})"
            ) from error
        if response.status_code >= 500:
            raise PipelineUnavailableError(
                f"the Dagster webserver at {self.url} answered HTTP {response.status_code}"
            )
        try:
            document = response.json()
        except ValueError as error:
            raise PipelineError(
                f"Dagster answered non-JSON (HTTP {response.status_code})"
            ) from error
        if document.get("errors"):
            messages = "; ".join(str(e.get("message")) for e in document["errors"])
            raise PipelineError(f"Dagster GraphQL error: {messages}")
        return document["data"]

    def latest_runs(self, limit: int = 20, job: str | None = None) -> list[dict[str, Any]]:
        """The newest runs first (of `job` only when given): id, job, status, times (epoch
        seconds) and tags. A job Dagster does not know has no runs."""
        variables = {"limit": limit, "filter": None if job is None else {"pipelineName": job}}
        result = self._execute(LATEST_RUNS_QUERY, variables)["runsOrError"]
        if result["__typename"] != "Runs":
            raise PipelineError(f"Dagster could not list runs: {result.get('message')}")
        return [
            {
                "run_id": run["runId"],
                "job_name": run["jobName"],
                "status": run["status"],
                "created_at": _epoch(run.get("creationTime")),
                "started_at": _epoch(run.get("startTime")),
                "ended_at": _epoch(run.get("endTime")),
                "tags": {tag["key"]: tag["value"] for tag in run.get("tags") or []},
            }
            for run in result["results"]
        ]

    def asset_health(self) -> list[dict[str, Any]]:
        """Every asset: group, last materialization / failure times and Dagster's health."""
        result = self._execute(ASSET_HEALTH_QUERY)["assetsOrError"]
        if result["__typename"] != "AssetConnection":
            raise PipelineError(f"Dagster could not list assets: {result.get('message')}")
        assets = []
        for node in result["nodes"]:
            health = node.get("assetHealth") or {}
            assets.append(
                {
                    "asset_key": "/".join(node["key"]["path"]),
                    "group": (node.get("definition") or {}).get("groupName"),
                    "last_materialized_at": _epoch(node.get("latestMaterializationTimestamp")),
                    "last_failed_at": _epoch(node.get("latestFailedToMaterializeTimestamp")),
                    "health": health.get("assetHealth", "UNKNOWN"),
                    "materialization_status": health.get("materializationStatus", "UNKNOWN"),
                    "checks_status": health.get("assetChecksStatus", "UNKNOWN"),
                    "freshness_status": health.get("freshnessStatus", "UNKNOWN"),
                }
            )
        return assets

    def schedules(
        self, location: str, repository: str = DEFAULT_REPOSITORY
    ) -> list[dict[str, Any]]:
        """The code location's schedules: name, cron, timezone, job, RUNNING or STOPPED, and
        the next tick (epoch seconds; Dagster gives it only for running schedules)."""
        variables = {"location": location, "repository": repository}
        result = self._execute(SCHEDULES_QUERY, variables)["schedulesOrError"]
        if result["__typename"] != "Schedules":
            raise PipelineError(f"Dagster could not list schedules: {result.get('message')}")
        schedules = []
        for schedule in result["results"]:
            state = schedule.get("scheduleState") or {}
            schedules.append(
                {
                    "name": schedule["name"],
                    "cron_schedule": schedule["cronSchedule"],
                    "execution_timezone": schedule.get("executionTimezone"),
                    "job_name": schedule["pipelineName"],
                    "description": schedule.get("description"),
                    "status": state.get("status", "UNKNOWN"),
                    "next_tick_at": _epoch((state.get("nextTick") or {}).get("timestamp")),
                }
            )
        return sorted(schedules, key=lambda schedule: schedule["name"])

    def launch_job(
        self,
        job_name: str,
        location: str,
        repository: str = DEFAULT_REPOSITORY,
        dataset: str = DEFAULT_DATASET,
    ) -> dict[str, Any]:
        """Launch `job_name` with its default config on `dataset`'s partition (the pipeline
        jobs are partitioned by dataset; the dataset's run tag lets the queue run one run per
        dataset at a time); the new run's id, job and status."""
        tags = [
            {"key": PARTITION_TAG, "value": dataset},
            *({"key": key, "value": value} for key, value in dataset_tags(dataset).items()),
        ]
        variables = {"location": location, "repository": repository, "job": job_name, "tags": tags}
        result = self._execute(LAUNCH_RUN_MUTATION, variables)["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            reason = result.get("message") or "; ".join(
                e["message"] for e in result.get("errors") or []
            )
            raise PipelineError(f"Dagster did not launch {job_name!r}: {reason}")
        run = result["run"]
        return {"run_id": run["runId"], "job_name": run["jobName"], "status": run["status"]}

    def close(self) -> None:
        self._http.close()
