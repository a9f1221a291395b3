"""Re-record `dagster_graphql.json`: run the API's GraphQL documents against the Quantis code
location on a temporary Dagster instance (`python tests/api/recorded/record_dagster.py`)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
CALLS = {
    "launch_not_found": ("LAUNCH_RUN_MUTATION", {"job": "no_such_job"}),
    "launch_ok": ("LAUNCH_RUN_MUTATION", {"job": "retrain"}),
    "runs": ("LATEST_RUNS_QUERY", {"limit": 5}),
    "runs_of_retrain": ("LATEST_RUNS_QUERY", {"limit": 5, "filter": {"pipelineName": "retrain"}}),
    "runs_of_unknown_job": (
        "LATEST_RUNS_QUERY",
        {"limit": 5, "filter": {"pipelineName": "no_such_job"}},
    ),
    "assets": ("ASSET_HEALTH_QUERY", {}),
    "schedules": ("SCHEDULES_QUERY", {}),
    "schedules_not_found": ("SCHEDULES_QUERY", {"location": "no_such_location"}),
}
# Documents that name the code location and repository (as the API's `dagster_location`).
SELECTED = {"LAUNCH_RUN_MUTATION", "SCHEDULES_QUERY"}


def main() -> None:
    os.environ["QUANTIS_HOME"] = tempfile.mkdtemp()
    from dagster import instance_for_test
    from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

    from api import pipeline

    recorded: dict[str, object] = {}
    definitions = str(REPO / "orchestration" / "definitions.py")
    with (
        instance_for_test() as instance,
        define_out_of_process_context(definitions, "defs", instance) as context,
    ):
        for name, (document, variables) in CALLS.items():
            if document in SELECTED:
                variables = {
                    "location": "test_location",
                    "repository": "__repository__",
                } | variables
            result = execute_dagster_graphql(context, getattr(pipeline, document), variables)
            if result.errors:
                raise SystemExit(f"{name}: {result.errors}")
            recorded[name] = {"data": result.data}
    recorded["_about"] = (HERE / "record_dagster.py").read_text().splitlines()[0]
    (HERE / "dagster_graphql.json").write_text(json.dumps(recorded, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
