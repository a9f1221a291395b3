"""`quantis status`: what the running `quantis up` started, on which address, and the version
each dataset's champion is served at (from the status file it keeps, the active deployment
record of `default` and the local server's served-datasets.json of the others)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from core.processes import is_alive
from core.settings import get_settings
from quantis.launch.services import read_status_file

__all__ = ["status"]


def _served_model(settings) -> str:
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.deployments import get_active_deployment
    from quantis.database import ready_database

    engine = make_engine(ready_database(settings.database_url))
    try:
        with session_scope(engine) as session:
            active = get_active_deployment(session, "local")
            if active is None:
                return "no model deployed yet"
            return f"{active.model_name} version {active.model_version} ({active.bento_tag})"
    finally:
        engine.dispose()


def _served_models(settings) -> list[str]:
    """One line per dataset served: `default`'s deployment, then every other dataset's
    served version (served-datasets.json of the local model server)."""
    from core.mlflow_names import registered_model_name
    from orchestration.defs.serving.served_datasets import local_artifacts_dir, read_served

    lines = [f"default: {_served_model(settings)}"]
    try:
        served = read_served(local_artifacts_dir(settings))
    except (OSError, ValueError) as error:
        return [*lines, f"other datasets: unknown ({error})"]
    for dataset, version in sorted(served.items()):
        name = registered_model_name(settings.registered_model_name, dataset)
        lines.append(f"{dataset}: {name} version {version}")
    return lines


def status() -> None:
    """What `quantis up` runs: each server, its state, address and pid; the served model."""
    settings = get_settings()
    console = Console()
    state = read_status_file(settings)
    served = "\n".join(f"  {line}" for line in _served_models(settings))
    if state is None or not is_alive(int(state.get("up_pid", 0)) or -1):
        console.print(f"Nothing runs: start it with `quantis up`. Served models:\n{served}")
        return
    table = Table(title=f"quantis up (pid {state['up_pid']})")
    for column in ("service", "state", "address", "pid"):
        table.add_column(column, no_wrap=True)
    table.add_column("log", overflow="fold")
    for name, service in state["services"].items():
        alive = is_alive(int(service["pid"]))
        shown = "gave up" if service["given_up"] else ("running" if alive else "restarting")
        table.add_row(
            name, shown, service.get("url") or "", str(service["pid"]), service.get("log") or ""
        )
    console.print(table)
    console.print(f"Served models:\n{served}")
    if any(service["given_up"] for service in state["services"].values()):
        raise typer.Exit(code=1)
