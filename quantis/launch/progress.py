"""Run one Dagster job of the pipeline with a progress display: a line per finished step, a
bar over the job's steps (read from the code location's definitions), and the outcome table."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from core import job_names
from core.datasets import DEFAULT_DATASET
from core.settings import Settings
from quantis.pipeline_runner import STEP_OUTCOMES, PipelineOutcome, run_pipeline

__all__ = ["job_steps", "outcome_table", "run_with_progress"]


def job_steps(settings: Settings, job_name: str) -> list[str]:
    """The steps of `job_name`, in the order they run, as the definitions declare them."""
    from orchestration.definitions import build_definitions

    job = build_definitions(settings).resolve_job_def(job_name)
    return [node.name for node in job.nodes_in_topological_order]


def run_with_progress(
    settings: Settings,
    console: Console,
    job_name: str = job_names.PIPELINE,
    dataset: str = DEFAULT_DATASET,
    partition=None,
) -> PipelineOutcome:
    columns = (
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
    )  # fmt: skip
    # Not redirecting sys.stdout/stderr into the display: they belong to the log file.
    with Progress(
        *columns, console=console, redirect_stdout=False, redirect_stderr=False
    ) as progress:
        total = len(job_steps(settings, job_name))
        shown = partition or dataset
        task = progress.add_task(f"starting {job_name} ({shown})", total=total)

        started: dict[str, float] = {}

        def on_event(kind: str, step: str) -> None:
            if kind == "STEP_START":
                started[step] = time.monotonic()
                progress.update(task, description=f"running {step}")
            elif kind in STEP_OUTCOMES:
                progress.advance(task)
                seconds = time.monotonic() - started.get(step, time.monotonic())
                progress.console.print(f"  {step}: {STEP_OUTCOMES[kind]} ({seconds:.1f}s)")

        outcome = run_pipeline(
            settings, job_name=job_name, on_event=on_event, dataset=dataset, partition=partition
        )
        progress.update(task, description=f"{job_name} ({shown}) finished")
    return outcome


def outcome_table(outcome: PipelineOutcome) -> Table:
    table = Table(title=f"Pipeline run(s) {outcome.run_id} (dataset {outcome.dataset})")
    table.add_column("step")
    table.add_column("outcome")
    table.add_column("seconds", justify="right")
    for step, seconds in outcome.step_seconds.items():
        table.add_row(step, outcome.step_outcomes.get(step, ""), f"{seconds:.1f}")
    table.add_row(
        "total", "ok" if outcome.success else "FAILED", f"{sum(outcome.step_seconds.values()):.1f}"
    )
    return table
