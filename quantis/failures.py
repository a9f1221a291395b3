"""How the `quantis` command ends on an error: one line that says what went wrong and what to
run, never a traceback (unless `--debug`).

`UserError` is what commands raise for a missing set-up step or bad input; `explain` turns
the errors libraries raise for the same situations (a database without tables, one that
cannot be reached, invalid settings) into that one line.
"""

from __future__ import annotations

import re

__all__ = ["UserError", "explain"]

DEBUG_HINT = "run again with `quantis --debug ...` for the traceback"


class UserError(Exception):
    """A user error or a missing set-up step: `message`, then what to run about it."""

    def __init__(self, message: str, *, run: str | None = None) -> None:
        self.message = message
        self.run = run
        super().__init__(f"{message}: run `{run}`" if run else message)


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def _database_error(error: BaseException) -> str | None:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    if not isinstance(error, OperationalError | ProgrammingError):
        return None
    detail = _first_line(error.orig) if error.orig is not None else _first_line(error)
    missing = re.search(r"no such table: (\w+)|relation \"(\w+)\" does not exist", detail)
    if missing:
        table = missing.group(1) or missing.group(2)
        return f"the database has no table {table!r} yet: run `quantis db upgrade`"
    return f"database error: {detail} (check the database_url setting: `quantis config show`)"


def explain(error: BaseException) -> str:
    """One line for `error`: what happened and, where we know it, what to run."""
    from pydantic import ValidationError

    if isinstance(error, UserError):
        return str(error)
    if (line := _database_error(error)) is not None:
        return line
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
            for e in error.errors()
        )
        return f"invalid settings: {problems} (see `quantis config show`)"
    if isinstance(error, ConnectionError | TimeoutError):
        return f"could not connect: {_first_line(error)}"
    if isinstance(error, OSError):
        return _first_line(error)
    return f"unexpected error {type(error).__name__}: {_first_line(error)} ({DEBUG_HINT})"
