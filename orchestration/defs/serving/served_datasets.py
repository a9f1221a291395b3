"""Which registered version of each dataset (besides `default`) the local model server serves:
`<artifacts_dir>/served-datasets.json`, beside the version folders the server loads.

The local deploy target reads it when it starts a model server (its
`QUANTIS_SERVED_DATASET_VERSIONS`) and writes one dataset's entry after that dataset's model
was swapped in. Every read-change-write holds `served_lock`, so two datasets' roll-outs, or a
dataset's roll-out and a new server's start, never lose each other's entry.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["SERVED_FILE", "local_artifacts_dir", "read_served", "served_lock", "write_served"]

SERVED_FILE = "served-datasets.json"


def local_artifacts_dir(settings) -> Path:
    """The local model server's artifacts folder: `model_artifacts_dir`, else
    `<home>/model-artifacts`."""
    return Path(settings.model_artifacts_dir or settings.home / "model-artifacts")


@contextmanager
def served_lock(artifacts_dir: Path) -> Iterator[None]:
    """An exclusive lock on the served-versions file of `artifacts_dir` (between processes)."""
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    with open(artifacts_dir / f".{SERVED_FILE}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_served(artifacts_dir: Path) -> dict[str, str]:
    """dataset -> served version; empty when nothing but `default` was ever served."""
    path = artifacts_dir / SERVED_FILE
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ValueError(f"{path} is not a JSON object of dataset -> version strings")
    return data


def write_served(artifacts_dir: Path, served: dict[str, str]) -> None:
    """Replace the file in one rename: a reader sees the old map or the new one, whole."""
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{SERVED_FILE}-", dir=artifacts_dir)
    with os.fdopen(handle, "w") as out:
        json.dump(dict(sorted(served.items())), out, indent=2)
    os.replace(temporary, artifacts_dir / SERVED_FILE)
