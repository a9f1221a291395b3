"""The `quantis` command: one entry point for every part of the platform.

Each sub-command lives in its own module under `quantis/commands/` and is mounted here.
"""

from __future__ import annotations

import typer

from core.runtime import apply_offline_defaults

apply_offline_defaults()

app = typer.Typer(
    name="quantis",
    help="Quantis: time-series forecasting platform (Dagster + MLflow + BentoML + LightGBM).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main() -> None:
    """Quantis: time-series forecasting platform (Dagster + MLflow + BentoML + LightGBM)."""


def _mount() -> None:
    from quantis.commands import apikey, backup, config, db, evaluate, model, serve, up

    app.command(name="up")(up.up)
    app.command(name="evaluate")(evaluate.evaluate)
    app.add_typer(model.app, name="model")
    app.add_typer(db.app, name="db")
    app.add_typer(config.app, name="config")
    app.add_typer(backup.app, name="backup")
    app.add_typer(serve.app, name="serve")
    app.add_typer(apikey.app, name="apikey")


_mount()

if __name__ == "__main__":
    app()
