"""`quantis config`: show the effective settings, secrets masked, and where each came from."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from core.settings import describe_sources, load_settings

__all__ = ["app"]

app = typer.Typer(help="Inspect Quantis settings.", no_args_is_help=True)


@app.command()
def show(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON: {name: {value, source}}.")
    ] = False,
) -> None:
    """Print every setting with its value (secrets masked) and the source that set it."""
    try:
        values = load_settings().redacted_dict()
    except ValidationError as error:
        typer.secho(f"invalid settings:\n{error}", err=True, fg="red")
        raise typer.Exit(code=1) from error
    sources = describe_sources()
    if as_json:
        shown = {name: {"value": value, "source": sources[name]} for name, value in values.items()}
        typer.echo(json.dumps(shown, indent=2, default=str))
        return
    table = Table("setting", "value", "source", title="Quantis settings")
    for name, value in values.items():
        text = json.dumps(value) if isinstance(value, dict | list) else str(value)
        table.add_row(name, text, sources[name])
    Console(width=200).print(table)
