"""`quantis up`: the README's main command — the whole platform on one machine.

Creates the home folder, migrates the database, seeds the demo data, runs the pipeline with a
progress display, then starts the Dagster UI + daemon, the MLflow UI and the REST API (which
serves the web page) beside the model server the pipeline rolled out, and serves until Ctrl-C.
The terminal shows the progress, the outcome table, the URLs and the key; every event log
goes to a file under `<home>/logs/` (`--verbose` also shows it). The parts live in
`quantis.launch`.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Annotated

import typer
from rich.console import Console

from core.settings import Settings, get_settings
from quantis.launch.decision import run_every_dataset
from quantis.launch.progress import outcome_table, run_with_progress
from quantis.launch.services import remove_status_file, supervise, write_status_file
from quantis.launch.startup import (
    active_model_server,
    first_admin_key,
    prepare,
    sample_request,
    start_services,
    stop_model_server,
)
from quantis.launch.supervisor import Started, Supervisor
from quantis.run_guard import RunInProgressError, one_run_per_dataset
from quantis.run_log import new_log_path, output_to_log

__all__ = ["up"]


def up(
    once: Annotated[
        bool, typer.Option("--once", help="Run the pipeline once, stop what it started, exit.")
    ] = False,
    demo_data: Annotated[
        bool, typer.Option(help="Seed an empty landing area with the Tourism demo data.")
    ] = True,
    dagster_port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000,
    mlflow_port: Annotated[int, typer.Option(help="Port of the MLflow UI.")] = 5000,
    retrain: Annotated[
        bool, typer.Option("--retrain", help="Retrain even when no new data arrived.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Also show every event log line here.")
    ] = False,
) -> None:
    """Run the whole pipeline, then serve the Dagster UI, MLflow UI, model server and API."""
    settings = get_settings().ensure_home()
    log_path = new_log_path(settings.home / "logs", "up")
    with output_to_log(log_path, echo=verbose) as terminal:
        console = Console(file=terminal, highlight=False)
        shown = "shown here too" if verbose else "--verbose shows them here"
        console.print(f"Event logs: {log_path} ({shown})", soft_wrap=True)
        _run(console, settings, once=once, demo_data=demo_data, retrain=retrain)
        if not once:
            _serve(console, settings, dagster_port=dagster_port, mlflow_port=mlflow_port)


def _run(console: Console, settings: Settings, *, once: bool, demo_data: bool, retrain: bool):
    try:
        with one_run_per_dataset(settings.dagster_home):
            _run_pipeline(console, settings, once=once, demo_data=demo_data, retrain=retrain)
    except RunInProgressError as error:
        console.print(f"[red]Not running the pipeline:[/red] {error}", soft_wrap=True)
        raise typer.Exit(code=1) from None


def _run_pipeline(
    console: Console, settings: Settings, *, once: bool, demo_data: bool, retrain: bool
):
    prepare(settings, console.print, demo_data=demo_data)
    started = time.perf_counter()
    outcomes = run_every_dataset(
        settings,
        lambda job, dataset, partition=None: run_with_progress(
            settings, console, job, dataset, partition
        ),
        console.print,
        retrain=retrain,
    )
    for outcome in outcomes.values():
        console.print(outcome_table(outcome))
    console.print(f"Pipeline wall time: {time.perf_counter() - started:.1f}s")
    for name, outcome in outcomes.items():
        for check in outcome.failed_checks:  # the series a check excluded are not forecast
            console.print(f"[yellow]Check did not pass[/yellow] {name}: {check}", soft_wrap=True)
    failed = {name: outcome for name, outcome in outcomes.items() if not outcome.success}
    for name, outcome in failed.items():
        for failure in outcome.failures:
            console.print(f"[red]FAILED[/red] {name}: {failure.splitlines()[0]}")
    if failed and once:
        stop_model_server(active_model_server(settings)[1])
        raise typer.Exit(code=1)
    for name, outcome in outcomes.items():
        decision = outcome.metadata.get("registered_model", {})
        if decision:
            console.print(f"Promotion: {name}: {decision.get('decision')}")
    if once:
        stop_model_server(active_model_server(settings)[1])
        console.print("Done (--once): stopped the model server the pipeline started.")


def _serve(console: Console, settings: Settings, *, dagster_port: int, mlflow_port: int):
    console.print("Starting the Dagster UI and daemon, the MLflow UI and the REST API ...")
    try:
        stack = start_services(settings, dagster_port=dagster_port, mlflow_port=mlflow_port)
    except Exception:
        stop_model_server(active_model_server(settings)[1])
        raise
    url, _ = active_model_server(settings)
    if url:
        stack.urls["Model server"] = url
    for name, link in stack.urls.items():
        console.print(f"  {name:<14} {link}")
    console.print(f"  {'Server logs':<14} {stack.log_dir}")
    if url:
        console.print(
            "\nA sample forecast request:\n" + sample_request(settings, url), soft_wrap=True
        )
    key = first_admin_key(settings)
    if key:
        console.print(
            f"\nAn admin API key was created for this platform (shown only now): {key}\n"
            "Enter it on the web page's Settings tab, or: "
            f"curl -H 'Authorization: Bearer {key}' {stack.urls['Web page']}api/v1/series\n"
            "More keys: quantis apikey create --name NAME --scope read",
            soft_wrap=True,
        )
    console.print("\nPress Ctrl-C to stop everything. `quantis status` shows what runs.")
    supervisor = Supervisor(
        lambda line: console.print(f"{time.strftime('%H:%M:%S')} {line}", soft_wrap=True),
        on_change=lambda _service: write_status_file(settings, supervisor),
    )
    supervise(settings, stack, supervisor, _model_server_started(settings))

    def _interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        supervisor.watch(threading.Event())
    except KeyboardInterrupt:
        console.print("Stopping ...")
    finally:
        stack.stop(also=[active_model_server(settings)[1]])  # every server at once
        remove_status_file(settings)
        console.print("Stopped every process `quantis up` started.")


def _model_server_started(settings: Settings) -> Started | None:
    url, pid = active_model_server(settings)
    return Started(pid, url, None) if pid else None
