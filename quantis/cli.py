"""The `quantis` command: one entry point for every part of the platform.

Each sub-command lives in its own module under `quantis/commands/` and is mounted here.
`run` is the installed entry point: an error ends the command with one line on stderr that
says what to run (`quantis.failures`), and a traceback only with `--debug`.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from pydantic import ValidationError

from core.runtime import apply_offline_defaults
from core.settings import get_settings

apply_offline_defaults()

app = typer.Typer(
    name="quantis",
    help="Quantis: time-series forecasting platform (Dagster + MLflow + BentoML + LightGBM).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)
_options = {"debug": False}


@app.callback()
def main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when a command fails.")
    ] = False,
) -> None:
    """Quantis: time-series forecasting platform (Dagster + MLflow + BentoML + LightGBM)."""
    _options["debug"] = debug
    _use_the_homes_bento_store()


def _use_the_homes_bento_store() -> None:
    """BentoML in this process and every process it starts (`bentoml serve`, the pipeline's
    builds) uses the store under the home, never BentoML's default `~/bentoml`."""
    try:
        settings = get_settings()
    except ValidationError:
        return  # the command itself reports the settings' problem (see `quantis config show`)
    os.environ["BENTOML_HOME"] = str(settings.bentoml_home)


def _mount() -> None:
    from quantis.commands import (
        apikey,
        backup,
        config,
        dataset,
        db,
        evaluate,
        model,
        serve,
        status,
        up,
    )

    app.command(name="up")(up.up)
    app.command(name="status")(status.status)
    app.command(name="evaluate")(evaluate.evaluate)
    app.add_typer(model.app, name="model")
    app.add_typer(db.app, name="db")
    app.add_typer(config.app, name="config")
    app.add_typer(backup.app, name="backup")
    app.add_typer(serve.app, name="serve")
    app.add_typer(apikey.app, name="apikey")
    app.add_typer(dataset.app, name="dataset")


_mount()


def run(argv: list[str] | None = None) -> None:
    """`quantis ...`: run the command; an error ends it with one line and exit code 1."""
    from quantis.failures import explain

    _options["debug"] = False
    try:
        app(args=argv, prog_name="quantis")
    except Exception as error:
        if _options["debug"]:
            raise
        typer.secho(f"quantis: {explain(error)}", err=True, fg="red")
        sys.exit(1)


if __name__ == "__main__":
    run()
