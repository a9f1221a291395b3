"""One pipeline run per dataset at a time, for the runs `quantis up` executes itself.

Runs launched through the Dagster queue (sensors, schedules, the UI, the REST API) are held
back by the instance's tag concurrency limit on `core.run_tags.DATASET_TAG`. `quantis up`
runs its jobs in its own process, outside that queue, so it takes the dataset's slot here: a
lock file per dataset under the Dagster home (the kernel lets it go when the process ends,
however it ends), and no run of the queue in progress for the dataset. A second `quantis up`
meanwhile is refused with a message that names what runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from urllib.parse import quote

from core.run_tags import DATASET_TAG, DEFAULT_DATASET

__all__ = ["RunInProgressError", "one_run_per_dataset"]

# Runs `quantis` executes in process carry this tag; their slot is the lock file (a run left
# "STARTED" by a killed process must not block the dataset for ever).
INVOCATION_TAG = "quantis/invocation"


class RunInProgressError(RuntimeError):
    """Another pipeline run for the same dataset is in progress."""


def _lock_path(dagster_home: Path, dataset: str) -> Path:
    return dagster_home / "runs-in-progress" / f"{quote(dataset, safe='')}.lock"


def _queued_runs_in_progress(dagster_home: Path, dataset: str) -> list[str]:
    """'<run id> (<job>, <status>)' of the queue's unfinished runs for `dataset`."""
    from dagster import DagsterInstance, RunsFilter
    from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES

    if not (dagster_home / "dagster.yaml").exists():
        return []
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(
            filters=RunsFilter(tags={DATASET_TAG: dataset}, statuses=NOT_FINISHED_STATUSES)
        )
    return [
        f"{run.run_id[:8]} ({run.job_name}, {run.status.value})"
        for run in runs
        if INVOCATION_TAG not in run.tags
    ]


def _holder(lock: IO[str], wait_s: float = 2.0) -> str:
    """Who holds the slot, as its holder wrote it into the lock file.

    The holder writes that line just after it takes the lock, so a contender that comes in
    between reads an empty file: it reads again for up to `wait_s` seconds."""
    deadline = time.monotonic() + wait_s
    while True:
        lock.seek(0)
        holder = lock.read().strip()
        if holder or time.monotonic() >= deadline:
            return holder
        time.sleep(0.02)


@contextlib.contextmanager
def one_run_per_dataset(dagster_home: Path, dataset: str = DEFAULT_DATASET) -> Iterator[None]:
    """Hold `dataset`'s run slot for the block; `RunInProgressError` when it is taken."""
    path = _lock_path(dagster_home, dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(lock) or "another process"
            raise RunInProgressError(
                f"A pipeline run for dataset {dataset!r} is in progress ({holder}): one run "
                "per dataset at a time. Wait for it to finish, or stop it, and run again."
            ) from None
        try:
            lock.seek(0)
            lock.truncate()
            started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
            lock.write(f"`quantis` pid {os.getpid()}, started {started}")
            lock.flush()
            queued = _queued_runs_in_progress(dagster_home, dataset)
            if queued:
                raise RunInProgressError(
                    f"A pipeline run for dataset {dataset!r} is in progress in Dagster: "
                    f"{', '.join(queued)}. One run per dataset at a time: wait for it to "
                    "finish (the Dagster UI shows it), or cancel it there, and run again."
                )
            yield
        finally:
            lock.seek(0)
            lock.truncate()
            fcntl.flock(lock, fcntl.LOCK_UN)
