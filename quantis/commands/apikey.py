"""`quantis apikey create | list | revoke`: API keys of the REST API.

A key's plaintext is printed once, at creation; only its HMAC is stored. Each change is
written to the audit log with the operating-system user as the actor.
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.auth import SCOPES
from core.db.engine import make_engine, session_scope
from core.db.errors import RecordNotFoundError
from core.db.repositories.api_keys import create_api_key, list_api_keys, revoke_api_key
from core.db.repositories.audit import append_audit
from core.settings import get_settings
from quantis.database import ready_database

__all__ = ["app"]

app = typer.Typer(help="API keys for the REST API: create, list, revoke.", no_args_is_help=True)
console = Console()

UrlOption = Annotated[
    str | None, typer.Option("--url", help="Database URL; default: the database_url setting.")
]


def _engine(url: str | None):
    """An engine on the migrated database (SQLite is migrated first; see ready_database)."""
    target = url or get_settings().database_url
    return make_engine(ready_database(target, on_migrate=lambda line: typer.echo(line, err=True)))


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@app.command()
def create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")],
    scope: Annotated[
        list[str],
        typer.Option("--scope", help=f"Repeatable: {', '.join(SCOPES)} (admin implies write)."),
    ],
    dataset: Annotated[
        list[str] | None,
        typer.Option(
            "--dataset",
            help="Repeatable: the key sees only these datasets (others answer 404 as if they "
            "did not exist). Left out: every dataset. Not with --scope admin.",
        ),
    ] = None,
    url: UrlOption = None,
) -> None:
    """Create a key and print it once: it cannot be shown again."""
    unknown = sorted(set(scope) - set(SCOPES))
    problem = None
    if unknown:
        problem = f"unknown scope(s) {unknown}; use {list(SCOPES)}"
    elif not name.strip():
        problem = "empty name"
    elif dataset and "admin" in scope:
        problem = "an admin key sees every dataset: --dataset cannot be used with --scope admin"
    if problem:
        typer.secho(problem, err=True, fg="red")
        raise typer.Exit(code=2)
    settings = get_settings()
    engine = _engine(url)
    try:
        with session_scope(engine) as session:
            key, plaintext = create_api_key(
                session,
                name=name,
                scopes=scope,
                secret_key=settings.secret_key.get_secret_value(),
                datasets=dataset or None,
            )
            details = {"name": name, "scopes": key.scopes, "datasets": key.datasets}
            append_audit(
                session, actor=_actor(), action="apikey.create", target=f"apikey:{key.id}",
                details=details,
            )  # fmt: skip
            key_id, scopes, limit = key.id, key.scopes, key.datasets
    except RecordNotFoundError as error:  # a --dataset that does not exist
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(code=1) from error
    finally:
        engine.dispose()
    seen = f"datasets {', '.join(limit)}" if limit is not None else "every dataset"
    console.print(f"Created API key {key_id} ({name}, scopes {', '.join(scopes)}, {seen}).")
    console.print("Store it now; it will not be shown again:")
    typer.echo(plaintext)


@app.command("list")
def list_keys(
    include_revoked: Annotated[bool, typer.Option(help="Show revoked keys too.")] = False,
    url: UrlOption = None,
) -> None:
    """Keys with their scopes, dataset limit and last use (never the key itself)."""
    engine = _engine(url)
    try:
        with session_scope(engine) as session:
            keys = list_api_keys(session, include_revoked=include_revoked)
            table = Table(title="API keys")
            columns = ("id", "name", "prefix", "scopes", "datasets", "created", "last used",
                       "revoked")  # fmt: skip
            for column in columns:
                table.add_column(column)
            for key in keys:
                table.add_row(
                    str(key.id), key.name, key.prefix, ", ".join(key.scopes),
                    ", ".join(key.datasets) if key.datasets is not None else "(all)",
                    f"{key.created_at:%Y-%m-%d %H:%M}",
                    f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "",
                    f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
                )  # fmt: skip
    finally:
        engine.dispose()
    console.print(
        table if keys else "No API keys yet: `quantis apikey create --name N --scope read`."
    )


@app.command()
def revoke(
    key_id: Annotated[int, typer.Argument(help="Id of the key (see `quantis apikey list`).")],
    url: UrlOption = None,
) -> None:
    """Revoke a key for good."""
    engine = _engine(url)
    try:
        with session_scope(engine) as session:
            key = revoke_api_key(session, key_id)
            append_audit(
                session, actor=_actor(), action="apikey.revoke", target=f"apikey:{key_id}",
                details={"name": key.name},
            )  # fmt: skip
    except RecordNotFoundError as error:
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(code=1) from error
    finally:
        engine.dispose()
    console.print(f"Revoked API key {key_id}.")
