"""`held_lock` on SQLite (a file lock) and PostgreSQL (an advisory lock): one holder at a time
across engines (as across processes and pods), a bounded wait that names the lock, and release
when the block ends or raises."""

from __future__ import annotations

import threading
import time

import pytest

from core.db.engine import make_engine
from core.db.locks import LockTimeoutError, held_lock


def test_a_held_lock_makes_another_holder_wait_and_time_out_naming_it(db_url):
    first, second = make_engine(db_url), make_engine(db_url)  # as two processes would
    try:
        with held_lock(first, "rollout.test", wait_s=5):
            with (
                pytest.raises(LockTimeoutError, match=r"'rollout\.test' is still held"),
                held_lock(second, "rollout.test", wait_s=0.3, poll_s=0.05),
            ):
                pass
            with held_lock(second, "another-scope", wait_s=0.3):  # other names are free
                pass
        with held_lock(second, "rollout.test", wait_s=0.3):  # released at the block's end
            pass
    finally:
        first.dispose()
        second.dispose()


def test_read_modify_writes_under_the_lock_lose_nothing(db_url):
    """Four threads, each on its own engine, read a shared value, wait, then write it plus one:
    without the lock they would overwrite each other's increments."""
    shared = {"value": 0}
    engines = [make_engine(db_url) for _ in range(4)]

    def increment(engine) -> None:
        for _ in range(3):
            with held_lock(engine, "counter", wait_s=30, poll_s=0.01):
                seen = shared["value"]
                time.sleep(0.02)
                shared["value"] = seen + 1

    threads = [threading.Thread(target=increment, args=(engine,)) for engine in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for engine in engines:
            engine.dispose()
    assert shared["value"] == 4 * 3


def test_the_lock_is_released_when_the_block_raises(db_url):
    engine = make_engine(db_url)
    try:
        with (
            pytest.raises(RuntimeError, match="inside"),
            held_lock(engine, "rollout.test", wait_s=1),
        ):
            raise RuntimeError("inside")
        with held_lock(engine, "rollout.test", wait_s=0.3):
            pass
    finally:
        engine.dispose()


def test_sqlite_in_memory_is_refused():
    with (
        pytest.raises(ValueError, match="database file"),
        held_lock(make_engine("sqlite://"), "x", wait_s=0.1),
    ):
        pass
