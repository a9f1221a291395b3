"""`quantis model`: the registry view, manual promotion and rollback."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from core.registry import ModelRegistry, RegistryError
from core.runtime import quiet_mlflow_logging
from core.settings import get_settings

__all__ = ["app"]

app = typer.Typer(help="Registered model versions: list, promote, roll back.", no_args_is_help=True)
console = Console()


@app.callback()
def _quiet() -> None:
    """Registered model versions: list, promote, roll back."""
    quiet_mlflow_logging()  # the table is the answer; MLflow's INFO lines are not


def _registry() -> ModelRegistry:
    settings = get_settings()
    return ModelRegistry(settings.mlflow_tracking_uri, settings.registered_model_name)


@app.command("list")
def list_versions() -> None:
    """Every version of the registered model with its aliases and backtest MASE."""
    registry = _registry()
    versions = registry.versions()
    if not versions:
        console.print(f"No versions of {registry.model_name!r} yet: run `quantis up --once`.")
        return
    table = Table(title=f"{registry.model_name}")
    for column in ("version", "aliases", "backtest MASE", "created", "decision"):
        table.add_column(column)
    for v in versions:
        mase = v.metrics.get("backtest_mase")
        decision = (v.decision or {}).get("reason", "")
        table.add_row(
            v.version,
            ", ".join(v.aliases),
            f"{mase:.4f}" if mase is not None else "",
            v.created_at.strftime("%Y-%m-%d %H:%M"),
            str(decision),
        )
    console.print(table)


@app.command()
def promote(
    version: Annotated[str, typer.Argument(help="Model version to make champion.")],
) -> None:
    """Make VERSION the champion (the current champion is remembered for rollback)."""
    try:
        promoted = _registry().promote(version, by="cli")
    except RegistryError as error:
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(code=1) from error
    console.print(f"Version {promoted.version} is now champion.")


@app.command()
def rollback() -> None:
    """Give the champion alias back to the version the current champion replaced."""
    try:
        restored = _registry().rollback(by="cli")
    except RegistryError as error:
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(code=1) from error
    console.print(f"Rolled back: version {restored.version} is champion again.")
