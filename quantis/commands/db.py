"""`quantis db`: migrate the operational database (upgrade, current, downgrade)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from core.datasets import default_dataset_config
from core.db import migrate
from core.settings import get_settings

__all__ = ["app"]

app = typer.Typer(help="Operational database migrations.", no_args_is_help=True)

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Database URL; default: the database_url setting."),
]
T = TypeVar("T")


def _url(url: str | None) -> str:
    if url:
        return url
    try:
        return get_settings().database_url
    except ValidationError as error:
        typer.secho(f"invalid settings:\n{error}", err=True, fg="red")
        raise typer.Exit(code=1) from error


def _default_dataset():
    try:
        return default_dataset_config(get_settings())
    except ValidationError as error:
        typer.secho(f"invalid settings:\n{error}", err=True, fg="red")
        raise typer.Exit(code=1) from error


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _run(action: Callable[[], T], url: str) -> T:
    """Run a migration step, turning database errors into one readable line and exit 1."""
    try:
        return action()
    except SQLAlchemyError as error:
        typer.secho(f"database error on {_shown(url)}: {error}", err=True, fg="red")
        raise typer.Exit(code=1) from error


@app.command()
def upgrade(
    url: UrlOption = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Migrate the database up to REVISION (default: the newest). A database from before
    datasets gets a `default` dataset holding all its series, with the settings' horizon,
    thresholds and retrain rule."""
    target = _url(url)
    default = _default_dataset()
    _run(lambda: migrate.upgrade(target, revision, default_dataset=default), target)
    now = _run(lambda: migrate.current(target), target)
    typer.echo(f"{_shown(target)} is at revision {now}")


@app.command()
def current(url: UrlOption = None) -> None:
    """Print the database's revision and whether it is the newest."""
    target = _url(url)
    revision = _run(lambda: migrate.current(target), target)
    newest = migrate.head()
    state = "up to date" if revision == newest else f"behind head {newest}"
    typer.echo(f"{_shown(target)}: {revision or 'not migrated'} ({state})")


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Revision to go down to; 'base' drops all.")],
    url: UrlOption = None,
) -> None:
    """Migrate the database down to REVISION."""
    target = _url(url)
    _run(lambda: migrate.downgrade(target, revision), target)
    now = _run(lambda: migrate.current(target), target)
    typer.echo(f"{_shown(target)} is at revision {now or 'base'}")
