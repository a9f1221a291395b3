"""A named lock held across processes and pods for the length of a block, in the operational DB.

One change at a time to something every run shares (the model server's Deployment, which every
dataset's roll-out patches): on PostgreSQL a session-level advisory lock (every pod of the
platform reaches the same server); on SQLite, whose database is one machine's file, an
exclusive `flock` on a file beside it. Waiting is bounded: a lock not free after `wait_s`
raises `LockTimeoutError` naming it, never blocks for ever. A process that dies releases it
(its connection or file closes).
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

__all__ = ["LockTimeoutError", "held_lock"]


class LockTimeoutError(TimeoutError):
    """The lock was still held by someone else when the wait ended."""


@contextmanager
def held_lock(
    engine: Engine,
    scope: str,
    *,
    wait_s: float,
    poll_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold the lock named `scope` for the block; wait at most `wait_s` seconds for it."""
    if engine.dialect.name == "postgresql":
        with _postgres_lock(engine, scope, wait_s, poll_s, sleep):
            yield
        return
    database = engine.url.database
    if not database or database == ":memory:":
        raise ValueError("a lock on SQLite needs a database file, not an in-memory database")
    with _file_lock(Path(f"{database}.{scope}.lock"), scope, wait_s, poll_s, sleep):
        yield


def _timeout(scope: str, wait_s: float) -> LockTimeoutError:
    return LockTimeoutError(
        f"lock {scope!r} is still held by another process after {wait_s:g} s (another "
        "change of the same thing is in progress); try again when it has finished"
    )


@contextmanager
def _postgres_lock(
    engine: Engine, scope: str, wait_s: float, poll_s: float, sleep: Callable[[float], None]
) -> Iterator[None]:
    key = {"scope": f"quantis.{scope}"}
    deadline = time.monotonic() + wait_s
    with engine.connect() as connection:
        while not connection.scalar(text("SELECT pg_try_advisory_lock(hashtext(:scope))"), key):
            connection.rollback()  # no transaction left open while waiting
            if time.monotonic() >= deadline:
                raise _timeout(scope, wait_s)
            sleep(poll_s)
        connection.commit()  # the lock is the session's; no transaction is held with it
        try:
            yield
        finally:
            connection.scalar(text("SELECT pg_advisory_unlock(hashtext(:scope))"), key)
            connection.commit()


@contextmanager
def _file_lock(
    path: Path, scope: str, wait_s: float, poll_s: float, sleep: Callable[[float], None]
) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    with open(path, "a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _timeout(scope, wait_s) from None
                sleep(poll_s)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
