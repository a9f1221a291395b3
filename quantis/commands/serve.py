"""`quantis serve api | model`: start the REST API or the model server on its own.

Each replaces the current process with the server (so signals reach it directly); `quantis up`
starts the whole stack instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from core.runtime import apply_offline_defaults
from core.settings import get_settings
from quantis.database import ready_database
from quantis.failures import UserError

__all__ = ["api_command", "app", "model_server_command"]

app = typer.Typer(help="Start one Quantis service in the foreground.", no_args_is_help=True)
REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICE = "bentos.service:ModelServer"

HostOption = Annotated[
    str | None, typer.Option("--host", help="Address to bind; default from settings.")
]
PortOption = Annotated[int | None, typer.Option("--port", help="Port; default from settings.")]


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def api_command(host: str, port: int, workers: int = 1) -> list[str]:
    """uvicorn on the app factory; our JSON logging replaces uvicorn's log config."""
    return [
        _bin("uvicorn"), "--factory", "api.main:create_app", "--host", host, "--port", str(port),
        "--workers", str(workers), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def model_server_command(
    host: str,
    port: int,
    model_dir: Path | None = None,
    bento: str | None = None,
    *,
    bentoml_home: Path,
) -> tuple[list[str], dict[str, str]]:
    """(argv, extra environment) of `bentoml serve` for a model directory, a built Bento, or
    (neither) the service source with the newest model, from the BentoML store at
    `bentoml_home` (the home's: where the pipeline builds its Bentos)."""
    if model_dir is not None and bento is not None:
        raise ValueError("give --model-dir or --bento, not both")
    env = {"BENTOML_DO_NOT_TRACK": "true", "BENTOML_HOME": str(bentoml_home)}
    if model_dir is not None:
        env["QUANTIS_MODEL_DIR"] = str(model_dir.resolve())
    target = bento or SERVICE
    return [_bin("bentoml"), "serve", target, "--host", host, "--port", str(port)], env


def _exec(command: list[str], env: dict[str, str]) -> None:
    apply_offline_defaults()
    os.chdir(REPO_ROOT)  # `bentos.service` and `api.main` import from the repository root
    os.execve(command[0], command, {**os.environ, **env})


@app.command("api")
def api(
    host: HostOption = None,
    port: PortOption = None,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 1,
) -> None:
    """The REST API (FastAPI) on HOST:PORT (default: settings api_host / api_port)."""
    settings = get_settings()
    ready_database(settings.database_url, on_migrate=lambda line: typer.echo(line, err=True))
    _exec(api_command(host or settings.api_host, port or settings.api_port, workers), {})


@app.command("model")
def model(
    host: HostOption = None,
    port: PortOption = None,
    model_dir: Annotated[
        Path | None,
        typer.Option("--model-dir", exists=True, file_okay=False, help="A saved model directory."),
    ] = None,
    bento: Annotated[str | None, typer.Option("--bento", help="Tag of a built Bento.")] = None,
) -> None:
    """The model server (BentoML) on HOST:PORT (default: settings model_server_host / _port)."""
    settings = get_settings()
    if model_dir is None and bento is None and not settings.served_model_version:
        raise UserError(
            "no model to serve: give --model-dir DIR or --bento TAG (`quantis up` serves the "
            "champion itself)",
            run="quantis serve model --bento TAG",
        )
    try:
        command, env = model_server_command(
            host or settings.model_server_host,
            port or settings.model_server_port,
            model_dir,
            bento,
            bentoml_home=settings.bentoml_home,
        )
    except ValueError as error:
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(code=2) from error
    _exec(command, env)
