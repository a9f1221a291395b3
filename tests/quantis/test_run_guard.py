"""One pipeline run per dataset: `quantis up` refuses while a run for the dataset is in
progress, whether another `quantis` process runs it or the Dagster queue does."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import threading
import time

import dagster as dg
import pytest
import typer
from typer.testing import CliRunner

from core.run_tags import DATASET_TAG, dataset_tags
from core.settings import REPO_ROOT, get_settings
from quantis.commands import up
from quantis.run_guard import INVOCATION_TAG, RunInProgressError, one_run_per_dataset
from quantis.stack import write_dagster_instance_config

# Both contenders import, then wait at a start line (two ready files); the one that gets the
# slot of dataset "default" holds it until the other has been refused (a release file), so
# the outcome does not depend on how fast a busy machine starts interpreters.
_CONTENDER = """
import os, sys, time
from pathlib import Path
from quantis.run_guard import RunInProgressError, one_run_per_dataset
home, line = Path(sys.argv[1]), Path(sys.argv[2])
(line / f"ready-{os.getpid()}").touch()
deadline = time.time() + 120
while len(list(line.glob("ready-*"))) < 2 and time.time() < deadline:
    time.sleep(0.01)
try:
    with one_run_per_dataset(home, "default"):
        print("ran", flush=True)
        while not (line / "released").exists() and time.time() < deadline:
            time.sleep(0.05)
except RunInProgressError as error:
    print("refused:", error, flush=True)
    (line / "released").touch()
"""


def test_two_runs_started_together_one_runs_the_other_is_refused(tmp_path):
    line = tmp_path / "start-line"
    line.mkdir()
    contenders = [
        subprocess.Popen(
            [sys.executable, "-c", _CONTENDER, str(tmp_path), str(line)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = sorted(process.communicate(timeout=120)[0].strip() for process in contenders)
    assert outputs[0] == "ran", outputs
    assert outputs[1].startswith("refused: A pipeline run for dataset 'default' is in progress"), (
        outputs
    )
    assert "`quantis` pid" in outputs[1]  # it names who holds the slot


def test_a_contender_between_the_lock_and_the_holder_line_still_names_the_holder(tmp_path):
    # The holder has taken the lock but not yet written who it is (the window the two
    # contenders above can meet in): the refusal waits for that line instead of "another
    # process".
    with one_run_per_dataset(tmp_path, "default"):
        pass  # creates the lock file
    lock_file = next((tmp_path / "runs-in-progress").glob("*.lock"))
    with open(lock_file, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)

        def write_holder_line() -> None:
            time.sleep(0.3)
            held.write("`quantis` pid 4242, started now")
            held.flush()

        writer = threading.Thread(target=write_holder_line)
        writer.start()
        with (
            pytest.raises(RunInProgressError, match=r"\(`quantis` pid 4242, started now\)"),
            one_run_per_dataset(tmp_path, "default"),
        ):
            pass
        writer.join()


def test_the_slot_is_free_again_after_a_run_and_per_dataset(tmp_path):
    with (
        one_run_per_dataset(tmp_path, "default"),
        one_run_per_dataset(tmp_path, "other"),
        pytest.raises(RunInProgressError, match="'other'"),
        one_run_per_dataset(tmp_path, "other"),
    ):
        pass
    with one_run_per_dataset(tmp_path, "default"):
        pass


@dg.asset
def noop() -> None:
    pass


def _recorded_run(instance: dg.DagsterInstance, status: dg.DagsterRunStatus, tags: dict) -> str:
    job = dg.define_asset_job("pipeline_like", tags=tags)
    definitions = dg.Definitions(assets=[noop], jobs=[job])
    run = instance.create_run_for_job(
        definitions.resolve_job_def("pipeline_like"), tags=tags, status=status
    )
    return run.run_id


def test_a_dagster_run_in_progress_of_the_dataset_refuses_quantis_up(tmp_path):
    write_dagster_instance_config(tmp_path)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        # Runs of `quantis` itself are guarded by the lock, finished runs hold nothing, and
        # another dataset is no hindrance: none of these refuses.
        _recorded_run(
            instance, dg.DagsterRunStatus.STARTED, {**dataset_tags(), INVOCATION_TAG: "x"}
        )
        _recorded_run(instance, dg.DagsterRunStatus.SUCCESS, dataset_tags())
        _recorded_run(instance, dg.DagsterRunStatus.STARTED, dataset_tags("other"))
        with one_run_per_dataset(tmp_path):
            pass
        launched = _recorded_run(instance, dg.DagsterRunStatus.STARTING, dataset_tags())
    refused = pytest.raises(RunInProgressError, match=rf"in progress in Dagster: {launched[:8]} ")
    with refused, one_run_per_dataset(tmp_path):
        pass


def test_quantis_up_refuses_with_a_clear_message_while_the_dataset_runs():
    settings = get_settings().ensure_home()
    app = typer.Typer()
    app.command()(up.up)
    with one_run_per_dataset(settings.dagster_home):
        result = CliRunner().invoke(app, ["--once", "--no-demo-data"])
    assert result.exit_code == 1, result.output
    assert "Not running the pipeline" in result.output
    assert "A pipeline run for dataset 'default' is in progress" in result.output
    assert "Pipeline wall time" not in result.output  # nothing ran


def test_pipeline_jobs_leave_the_dataset_tag_to_each_run():
    # The jobs are partitioned by dataset: a tag fixed on the job would name `default` on
    # every other dataset's runs, so each run request and launch sets its own.
    from orchestration.definitions import build_definitions

    definitions = build_definitions(get_settings())
    for name in ("quantis_pipeline", "ingestion", "retrain", "deploy_champion"):
        job = definitions.resolve_job_def(name)
        assert DATASET_TAG not in job.tags, name
        assert job.partitions_def is not None and job.partitions_def.name == "datasets", name


def test_the_local_instance_allows_one_run_per_dataset(tmp_path):
    from core.run_tags import dataset_concurrency_limit

    path = write_dagster_instance_config(tmp_path)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        queue = instance.get_concurrency_config().run_queue_config
    assert queue.max_concurrent_runs == 1
    assert queue.tag_concurrency_limits == [dataset_concurrency_limit()]
    # A file an older `quantis up` wrote is brought up to date; one of the user's is kept.
    path.write_text("# Written by `quantis up`: old\\ntelemetry:\\n  enabled: false\\n")
    assert "tag_concurrency_limits" in write_dagster_instance_config(tmp_path).read_text()
    path.write_text("telemetry:\\n  enabled: false\\n")
    assert write_dagster_instance_config(tmp_path).read_text() == "telemetry:\\n  enabled: false\\n"
