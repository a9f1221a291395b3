"""Run the full Dagster pipeline in-process against the local instance, with progress.

The run is recorded in the Dagster instance under `DAGSTER_HOME`, so it shows in the Dagster
UI exactly like a run launched from there.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from core import job_names
from core.datasets import DEFAULT_DATASET
from core.processes import sigterm_kept
from core.run_tags import dataset_tags
from core.settings import REPO_ROOT, Settings
from quantis.run_guard import INVOCATION_TAG

__all__ = ["PipelineOutcome", "dataset_names", "failed_check", "merge_outcomes", "run_pipeline"]

STEP_OUTCOMES = {"STEP_SUCCESS": "done", "STEP_SKIPPED": "skipped", "STEP_FAILURE": "FAILED"}
STEP_EVENTS = ("STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED", "STEP_UP_FOR_RETRY")


@dataclass
class PipelineOutcome:
    run_id: str
    success: bool
    step_seconds: dict[str, float] = field(default_factory=dict)
    step_outcomes: dict[str, str] = field(default_factory=dict)  # step -> done/skipped/FAILED
    failures: list[str] = field(default_factory=list)
    metadata: dict[str, dict[str, object]] = field(default_factory=dict)
    dataset: str = DEFAULT_DATASET
    failed_checks: list[str] = field(default_factory=list)  # what each one found


def merge_outcomes(first: PipelineOutcome, second: PipelineOutcome) -> PipelineOutcome:
    """One outcome for two runs in a row (run ids joined with '+')."""
    return PipelineOutcome(
        run_id=f"{first.run_id[:8]}+{second.run_id[:8]}",
        success=first.success and second.success,
        step_seconds=first.step_seconds | second.step_seconds,
        step_outcomes=first.step_outcomes | second.step_outcomes,
        failures=first.failures + second.failures,
        metadata=first.metadata | second.metadata,
        dataset=first.dataset,
        failed_checks=first.failed_checks + second.failed_checks,
    )


def _run_id_with_tag(instance, token: str) -> str | None:
    from dagster import RunsFilter

    runs = instance.get_runs(filters=RunsFilter(tags={INVOCATION_TAG: token}), limit=1)
    return runs[0].run_id if runs else None


def _watch(instance, token: str, on_event: Callable[[str, str], None], stop: threading.Event):
    """Report step events as they are stored; after `stop`, one last pass so none is missed."""
    seen = 0
    run_id = None
    while True:
        finished = stop.is_set()
        run_id = run_id or _run_id_with_tag(instance, token)
        if run_id is None:
            if finished:
                return
            stop.wait(0.5)
            continue
        records = instance.all_logs(run_id)
        for record in records[seen:]:
            event = record.dagster_event
            if event is not None and event.event_type_value in STEP_EVENTS:
                on_event(event.event_type_value, event.step_key or "")
        seen = len(records)
        if finished:
            return
        stop.wait(0.5)


def dataset_names(settings: Settings) -> list[str]:
    """Every dataset's name, `default` first (the pipeline runs each in turn)."""
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.datasets import list_datasets

    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            names = [dataset.name for dataset in list_datasets(session)]
    finally:
        engine.dispose()
    return sorted(names, key=lambda name: (name != DEFAULT_DATASET, name))


def _execute(
    settings: Settings,
    job_name: str,
    run_config: dict | None,
    instance,
    tags: dict,
    partition,
):
    """Run the job on `partition` (a dataset, or a MultiPartitionKey of the dataset x shard
    jobs) with the executor the settings choose. The
    in-process executor runs the definitions built from `settings`; every other executor
    starts step processes (or pods) that load the code location themselves, so they see the
    settings of the environment."""
    from dagster import execute_job

    from orchestration.definitions import build_definitions

    if settings.executor == "in_process":
        job = build_definitions(settings).resolve_job_def(job_name)
        return job.execute_in_process(
            run_config=run_config,
            instance=instance,
            tags=tags,
            partition_key=partition,
            raise_on_error=False,
        )
    # A job that step processes can rebuild from its module (Dagster has no public name for
    # this; `dagster job execute -m orchestration.definitions` does the same).
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    repository = ReconstructableRepository.for_module(
        "orchestration.definitions",
        "defs",
        working_directory=str(REPO_ROOT),
    )
    return execute_job(
        repository.get_reconstructable_job(job_name),
        instance=instance,
        run_config=run_config,
        tags=tags | _partition_tags(partition),
        raise_on_error=False,
    )


def _partition_tags(partition) -> dict[str, str]:
    """The tags Dagster marks a partition's run with (one more per dimension of a multi-
    dimensional key)."""
    from dagster import MultiPartitionKey

    tags = {"dagster/partition": str(partition)}
    if isinstance(partition, MultiPartitionKey):
        for dimension, key in partition.keys_by_dimension.items():
            tags[f"dagster/partition/{dimension}"] = key
    return tags


def run_pipeline(
    settings: Settings,
    *,
    job_name: str = job_names.PIPELINE,
    run_config: dict | None = None,
    on_event: Callable[[str, str], None] = lambda kind, step: None,
    dataset: str = DEFAULT_DATASET,
    partition=None,
) -> PipelineOutcome:
    """Execute `job_name` once on `dataset`'s partition (or on `partition`, a key of a job
    partitioned by more than the dataset); `on_event(kind, step)` hears every step start/end. The `datasets` partitions are made equal to the datasets table first (the
    landing sensor does the same while the daemon runs)."""
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    from dagster import DagsterInstance

    from core.datasets.partitions import sync_dataset_partitions
    from quantis.stack import write_dagster_instance_config

    write_dagster_instance_config(settings.dagster_home)
    token = str(uuid.uuid4())
    stop = threading.Event()
    with DagsterInstance.get() as instance:
        sync_dataset_partitions(instance, dataset_names(settings))
        watcher = threading.Thread(
            target=_watch, args=(instance, token, on_event, stop), daemon=True
        )
        watcher.start()
        try:
            with sigterm_kept():
                tags = {INVOCATION_TAG: token, **dataset_tags(dataset)}
                result = _execute(
                    settings, job_name, run_config, instance, tags, partition or dataset
                )
        finally:
            stop.set()
            watcher.join(timeout=30)
        run_id = result.run_id
        outcome = PipelineOutcome(run_id=run_id, success=result.success, dataset=dataset)
        started: dict[str, float] = {}
        for record in instance.all_logs(run_id):
            event = record.dagster_event
            if event is None:
                continue
            kind, step = event.event_type_value, event.step_key or ""
            if kind == "STEP_START":
                started[step] = record.timestamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and step in started:
                outcome.step_seconds[step] = record.timestamp - started[step]
            if kind in STEP_OUTCOMES:
                outcome.step_outcomes[step] = STEP_OUTCOMES[kind]
            if kind == "STEP_FAILURE":
                error = event.event_specific_data.error
                outcome.failures.append(f"{step}: {_root_cause(error)}")
            if kind == "ASSET_CHECK_EVALUATION":
                found = failed_check(event.event_specific_data)
                if found:
                    outcome.failed_checks.append(found)
            if kind == "ASSET_MATERIALIZATION":
                materialization = event.event_specific_data.materialization
                outcome.metadata[materialization.asset_key.to_user_string()] = {
                    key: value.value for key, value in materialization.metadata.items()
                }
    return outcome


# What a check's metadata says of what it found, in the order shown.
_CHECK_FINDINGS = ("failed_series", "failed_rows", "examples", "detail")


def failed_check(evaluation) -> str | None:
    """One line for a check that did not pass (None for one that did): asset, check,
    severity and what it found (series or rows it failed, examples, detail)."""
    if evaluation.passed:
        return None
    severity = getattr(evaluation.severity, "value", str(evaluation.severity))
    metadata = {key: getattr(value, "value", value) for key, value in evaluation.metadata.items()}
    found = [
        f"{key.replace('_', ' ')}: {metadata[key]}"
        for key in _CHECK_FINDINGS
        if metadata.get(key) not in (None, "", 0)
    ]
    line = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name} ({severity})"
    return f"{line}: {'; '.join(found)}" if found else line


def _root_cause(error) -> str:
    """The innermost error of a step failure: Dagster wraps what the asset raised in a
    `DagsterExecutionStepExecutionError` whose own message names only the op."""
    if error is None:
        return "failed"
    while error.cause is not None:
        error = error.cause
    return error.message.strip()  # "<module>.<class>: <message>", as Python prints it
