"""`quantis model`: the registry view, manual promotion and rollback, of one dataset's
registered model (`--dataset`, `default` unless named)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from core.datasets import DEFAULT_DATASET
from core.db.engine import make_engine, session_scope
from core.db.errors import RecordNotFoundError
from core.db.repositories.datasets import find_dataset
from core.mlflow_names import registered_model_name
from core.registry import ModelRegistry, RegistryError
from core.runtime import quiet_mlflow_logging
from core.settings import get_settings
from quantis.database import ready_database
from quantis.failures import UserError

__all__ = ["app"]

app = typer.Typer(help="Registered model versions: list, promote, roll back.", no_args_is_help=True)
console = Console()


@app.callback()
def _quiet() -> None:
    """Registered model versions: list, promote, roll back."""
    quiet_mlflow_logging()  # the table is the answer; MLflow's INFO lines are not


DatasetOption = Annotated[
    str, typer.Option("--dataset", "-d", help="The dataset whose registered model it is.")
]


def _registry(dataset: str) -> ModelRegistry:
    """The registry of `dataset`'s registered model; an unknown dataset is an error naming
    the known ones (`default` always is one)."""
    settings = get_settings()
    if dataset != DEFAULT_DATASET:
        engine = make_engine(ready_database(settings.database_url))
        try:
            with session_scope(engine) as session:
                find_dataset(session, dataset)
        except RecordNotFoundError as error:
            raise UserError(str(error)) from error
        finally:
            engine.dispose()
    name = registered_model_name(settings.registered_model_name, dataset)
    return ModelRegistry(settings.mlflow_tracking_uri, name)


@app.command("list")
def list_versions(dataset: DatasetOption = DEFAULT_DATASET) -> None:
    """Every version of the dataset's registered model with its aliases and backtest MASE."""
    registry = _registry(dataset)
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
    dataset: DatasetOption = DEFAULT_DATASET,
) -> None:
    """Make VERSION the dataset's champion (the current champion is remembered for
    rollback)."""
    try:
        promoted = _registry(dataset).promote(version, by="cli")
    except RegistryError as error:
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(code=1) from error
    console.print(f"Version {promoted.version} is now champion.")


@app.command()
def rollback(dataset: DatasetOption = DEFAULT_DATASET) -> None:
    """Give the dataset's champion alias back to the version the current champion replaced."""
    try:
        restored = _registry(dataset).rollback(by="cli")
    except RegistryError as error:
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(code=1) from error
    console.print(f"Rolled back: version {restored.version} is champion again.")
