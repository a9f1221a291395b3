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

from core.settings import Settings

__all__ = ["PipelineOutcome", "merge_outcomes", "run_pipeline"]

STEP_EVENTS = ("STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED", "STEP_UP_FOR_RETRY")


@dataclass
class PipelineOutcome:
    run_id: str
    success: bool
    step_seconds: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    metadata: dict[str, dict[str, object]] = field(default_factory=dict)


def merge_outcomes(first: PipelineOutcome, second: PipelineOutcome) -> PipelineOutcome:
    """One outcome for two runs in a row (run ids joined with '+')."""
    return PipelineOutcome(
        run_id=f"{first.run_id[:8]}+{second.run_id[:8]}",
        success=first.success and second.success,
        step_seconds=first.step_seconds | second.step_seconds,
        failures=first.failures + second.failures,
        metadata=first.metadata | second.metadata,
    )


def _watch(instance, run_id: str, on_event: Callable[[str, str], None], stop: threading.Event):
    """Report step events as they are stored; after `stop`, one last pass so none is missed."""
    seen = 0
    while True:
        finished = stop.is_set()
        records = instance.all_logs(run_id)
        for record in records[seen:]:
            event = record.dagster_event
            if event is not None and event.event_type_value in STEP_EVENTS:
                on_event(event.event_type_value, event.step_key or "")
        seen = len(records)
        if finished:
            return
        stop.wait(0.5)


def run_pipeline(
    settings: Settings,
    *,
    job_name: str = "quantis_pipeline",
    run_config: dict | None = None,
    on_event: Callable[[str, str], None] = lambda kind, step: None,
) -> PipelineOutcome:
    """Execute `job_name` once; `on_event(kind, step)` hears every step start/end."""
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    from dagster import DagsterInstance

    from orchestration.definitions import build_definitions
    from quantis.stack import write_dagster_instance_config

    write_dagster_instance_config(settings.dagster_home)
    job = build_definitions(settings).resolve_job_def(job_name)
    run_id = str(uuid.uuid4())
    stop = threading.Event()
    with DagsterInstance.get() as instance:
        watcher = threading.Thread(
            target=_watch, args=(instance, run_id, on_event, stop), daemon=True
        )
        watcher.start()
        try:
            result = job.execute_in_process(
                run_config=run_config, instance=instance, run_id=run_id, raise_on_error=False
            )
        finally:
            stop.set()
            watcher.join(timeout=30)
        outcome = PipelineOutcome(run_id=run_id, success=result.success)
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
            if kind == "STEP_FAILURE":
                error = event.event_specific_data.error
                outcome.failures.append(f"{step}: {error.message.strip() if error else 'failed'}")
            if kind == "ASSET_MATERIALIZATION":
                materialization = event.event_specific_data.materialization
                outcome.metadata[materialization.asset_key.to_user_string()] = {
                    key: value.value for key, value in materialization.metadata.items()
                }
    return outcome
