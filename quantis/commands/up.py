"""`quantis up`: the README's main command — the whole platform on one machine.

Creates the home folder, migrates the database, seeds the demo data, runs the full pipeline
with a progress display, then starts the Dagster UI + daemon, the MLflow UI and the REST API (which
serves the web page) beside the model server the pipeline rolled out, and serves until Ctrl-C.
"""

from __future__ import annotations

import json
import signal
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.settings import Settings, get_settings
from quantis.failures import UserError

__all__ = ["up"]

console = Console(stderr=True)
INGESTION_STEPS = ("staged_observations", "observations")
RETRAIN_STEPS = ("trained_model", "backtest_report", "registered_model")
DEPLOY_STEPS = ("model_bento", "model_deployment")
JOB_STEPS = {
    "quantis_pipeline": INGESTION_STEPS + RETRAIN_STEPS + DEPLOY_STEPS,
    "ingestion": INGESTION_STEPS,
    "retrain": RETRAIN_STEPS + DEPLOY_STEPS,
    "deploy_champion": DEPLOY_STEPS,
}


def prepare(settings: Settings, *, demo_data: bool) -> None:
    """Home folder, database schema and (when the landing area is empty) the demo data."""
    from core.db.migrate import upgrade
    from quantis.demo_data import DEMO_DATASET, seed_landing_with_tourism

    settings.ensure_home()
    upgrade(settings.database_url)
    if demo_data and seed_landing_with_tourism(settings):
        console.print(f"Seeded the landing area with the Tourism {DEMO_DATASET} data set.")
    elif not _has_data(settings):
        raise UserError(
            f"no data: the landing area {settings.landing_url} has no files and the database "
            "no observations; put CSV or Parquet files there",
            run="quantis up (without --no-demo-data, for the Tourism demo data)",
        )


def _has_data(settings: Settings) -> bool:
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.observations import count_observations
    from core.storage import open_object_store

    landing = open_object_store(settings.landing_url, s3_endpoint_url=settings.s3_endpoint_url)
    if landing.list():
        return True
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            return count_observations(session) > 0
    finally:
        engine.dispose()


def run_with_progress(settings: Settings, job_name: str = "quantis_pipeline"):
    from quantis.pipeline_runner import run_pipeline

    columns = (
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
    )  # fmt: skip
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"starting {job_name}", total=len(JOB_STEPS[job_name]))

        def on_event(kind: str, step: str) -> None:
            if kind == "STEP_START":
                progress.update(task, description=f"running {step}")
            elif kind in ("STEP_SUCCESS", "STEP_SKIPPED", "STEP_FAILURE"):
                progress.advance(task)
                verb = {"STEP_SUCCESS": "done", "STEP_SKIPPED": "skipped"}.get(kind, "FAILED")
                progress.console.print(f"  {step}: {verb}")

        outcome = run_pipeline(settings, job_name=job_name, on_event=on_event)
        progress.update(task, description=f"{job_name} finished")
    return outcome


def _champion_fingerprint(settings: Settings) -> tuple[str, str] | None:
    """(version, dataset fingerprint) of the current champion, if there is one."""
    from core.mlflow_names import TAG_DATASET_FINGERPRINT
    from core.registry import ModelRegistry

    champion = ModelRegistry(
        settings.mlflow_tracking_uri, settings.registered_model_name
    ).champion()
    if champion is None:
        return None
    return champion.version, champion.tags.get(TAG_DATASET_FINGERPRINT, "")


def run_pipeline_once(settings: Settings, *, retrain: bool):
    """The whole pipeline. Without a champion: one run of every asset. With one: ingestion
    first, then either retraining (new data, or `retrain`) or, when the champion was trained
    on exactly this data, only packaging and rolling out the champion."""
    from quantis.pipeline_runner import merge_outcomes

    champion = _champion_fingerprint(settings)
    if champion is None:
        return run_with_progress(settings, "quantis_pipeline")
    ingestion = run_with_progress(settings, "ingestion")
    if not ingestion.success:
        return ingestion
    fingerprint = ingestion.metadata.get("observations", {}).get("fingerprint")
    if fingerprint == champion[1] and not retrain:
        console.print(
            f"No new data since champion version {champion[0]} was trained on it: "
            "packaging and rolling out the champion without retraining (--retrain forces it)."
        )
        return merge_outcomes(ingestion, run_with_progress(settings, "deploy_champion"))
    return merge_outcomes(ingestion, run_with_progress(settings, "retrain"))


def _summary(outcome) -> Table:
    table = Table(title=f"Pipeline run(s) {outcome.run_id}")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    for step, seconds in outcome.step_seconds.items():
        table.add_row(step, f"{seconds:.1f}")
    table.add_row("total", f"{sum(outcome.step_seconds.values()):.1f}")
    return table


def _active_model_server(settings: Settings):
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.deployments import get_active_deployment

    with session_scope(make_engine(settings.database_url)) as session:
        active = get_active_deployment(session, "local")
        return (active.endpoint_url, (active.details or {}).get("pid")) if active else (None, None)


def _sample_request(settings: Settings, url: str) -> str:
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.observations import read_recent_panel

    with session_scope(make_engine(settings.database_url)) as session:
        panel = read_recent_panel(session, last_n=36)
    first = panel[panel["unique_id"] == panel["unique_id"].iloc[0]]
    body = {
        "series": [
            {
                "id": str(first["unique_id"].iloc[0]),
                "timestamps": [ts.strftime("%Y-%m-%d") for ts in first["ds"]],
                "values": [round(float(v), 2) for v in first["y"]],
            }
        ],
        "horizon": 12,
        "levels": [80, 95],
    }
    return f"curl -s -X POST {url}/forecast -H 'Content-Type: application/json' -d '{json.dumps(body)}'"


def _first_admin_key(settings: Settings) -> str | None:
    """On a platform with no API keys yet, create an admin key and return it (shown once)."""
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.api_keys import create_api_key, list_api_keys

    with session_scope(make_engine(settings.database_url)) as session:
        if list_api_keys(session, include_revoked=True):
            return None
        _, plaintext = create_api_key(
            session,
            name="local-admin",
            scopes=["read", "write", "admin"],
            secret_key=settings.secret_key.get_secret_value(),
        )
    return plaintext


def _stop_model_server(pid: int | None) -> None:
    from core.processes import stop_process_group

    if pid:
        stop_process_group(pid)


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
) -> None:
    """Run the whole pipeline, then serve the Dagster UI, MLflow UI, model server and API."""
    from quantis.stack import LocalStack, StackError

    settings = get_settings()
    prepare(settings, demo_data=demo_data)
    started = time.perf_counter()
    outcome = run_pipeline_once(settings, retrain=retrain)
    console.print(_summary(outcome))
    console.print(f"Pipeline wall time: {time.perf_counter() - started:.1f}s")
    url, pid = _active_model_server(settings)
    if not outcome.success:
        for failure in outcome.failures:
            console.print(f"[red]FAILED[/red] {failure}")
        if once:
            _stop_model_server(pid)
            raise typer.Exit(code=1)
    decision = outcome.metadata.get("registered_model", {})
    if decision:
        console.print(f"Promotion: {decision.get('decision')}")
    if once:
        _stop_model_server(pid)
        console.print("Done (--once): stopped the model server the pipeline started.")
        return

    stack = LocalStack(settings)
    try:
        console.print("Starting the Dagster UI and daemon, the MLflow UI and the REST API ...")
        stack.start_dagster(dagster_port)
        stack.start_mlflow(mlflow_port)
        stack.start_api()
    except StackError as error:
        stack.stop()
        _stop_model_server(pid)
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from error
    if url:
        stack.urls["Model server"] = url
    for name, link in stack.urls.items():
        console.print(f"  {name:<14} {link}")
    if url:
        console.print("\nA sample forecast request:\n" + _sample_request(settings, url))
    key = _first_admin_key(settings)
    if key:
        console.print(
            f"\nAn admin API key was created for this platform (shown only now): {key}\n"
            "Enter it on the web page's Settings tab, or: "
            f"curl -H 'Authorization: Bearer {key}' {stack.urls['Web page']}api/v1/series\n"
            "More keys: quantis apikey create --name NAME --scope read"
        )
    console.print("\nPress Ctrl-C to stop everything.")

    def _interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("Stopping ...")
    finally:
        stack.stop()
        _stop_model_server(_active_model_server(settings)[1])
        console.print("Stopped every process `quantis up` started.")
