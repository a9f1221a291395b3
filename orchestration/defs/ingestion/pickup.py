"""Incremental pickup of landing files: what is new, what is unreadable, and the staged batch.

Files are read from the landing area as streams (`ObjectStore.open_for_reading`), never held
whole as bytes; a batch larger than `chunk_rows` rows is read file by file in chunks, and only
what its checks across chunks need is kept (`orchestration.defs.ingestion.chunks.BatchScan`).
The rows of such a batch are read again, chunk by chunk, by `PickedUp.chunks`."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

import pandas as pd

from core.covariates import Covariate
from core.datasets import DEFAULT_DATASET
from core.datasets.landing import QUARANTINE_PREFIX, landing_dataset, unknown_prefix_reason
from core.db.repositories.landing_files import is_known_file, record_landing_file
from core.storage import ObjectStore
from orchestration.defs.ingestion.chunks import BatchScan, rechunked
from orchestration.defs.ingestion.landing import (
    SUPPORTED_SUFFIXES,
    UnreadableFileError,
    read_landing_chunks,
)

__all__ = [
    "QUARANTINE_PREFIX",
    "PickedUp",
    "keys_by_dataset",
    "new_landing_keys",
    "pick_up_new_files",
    "quarantine_file",
]


@dataclass
class PickedUp:
    """The outcome of one pickup: rows read from new files and files set aside.

    `batch` holds the rows when the batch has at most `chunk_rows` of them (None: no limit);
    else it is None and `chunks` reads them again, a chunk at a time."""

    batch: pd.DataFrame | None
    files: list[tuple[str, str, int, int]] = field(default_factory=list)  # key, sha, size, rows
    quarantined_files: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)
    scan: BatchScan = field(default_factory=BatchScan)
    chunk_rows: int | None = None

    @property
    def rows(self) -> int:
        return sum(rows for *_, rows in self.files)

    def chunks(
        self, landing: ObjectStore, covariates: Sequence[Covariate] = ()
    ) -> Iterator[pd.DataFrame]:
        """The batch's rows in chunks of at most `chunk_rows` (a file holding covariate columns
        comes whole), each indexed 0..n-1; the batch itself when it was kept."""
        if self.batch is not None:
            yield self.batch
            return

        def pieces() -> Iterator[pd.DataFrame]:
            for key, *_ in self.files:
                with landing.open_for_reading(key) as handle:
                    yield from read_landing_chunks(handle, key, covariates, self.chunk_rows)

        yield from rechunked(pieces(), self.chunk_rows)


def new_landing_keys(landing: ObjectStore) -> list[str]:
    """Keys of observation files in the landing area, quarantine excluded, oldest name first."""
    return sorted(
        key
        for key in landing.list()
        if not key.startswith(QUARANTINE_PREFIX)
        and PurePosixPath(key).suffix.lower() in SUPPORTED_SUFFIXES
    )


def keys_by_dataset(keys: list[str], datasets: Collection[str]) -> dict[str, list[str]]:
    """Landing keys grouped by the dataset that picks them up. A key under a prefix that names
    no dataset goes with `default`'s, whose run quarantines it with the reason."""
    grouped: dict[str, list[str]] = {}
    for key in keys:
        grouped.setdefault(landing_dataset(key, datasets) or DEFAULT_DATASET, []).append(key)
    return grouped


def quarantine_file(landing: ObjectStore, key: str, reason: str) -> str:
    """Move a file to the quarantine area with its reason beside it; nothing is deleted. The
    file is copied through a temporary file, never held in memory."""
    target = f"{QUARANTINE_PREFIX}{key}"
    with tempfile.TemporaryDirectory(prefix="quarantine-") as folder:
        copy = Path(folder) / "file"
        landing.get_file(key, copy)
        landing.put_file(target, copy)
    landing.put_bytes(f"{target}.reason.txt", reason.encode())
    landing.delete(key)
    return target


def _set_aside(
    session, landing: ObjectStore, key: str, sha256: str, size: int, reason: str
) -> None:
    moved_to = quarantine_file(landing, key, reason)
    record_landing_file(
        session,
        key=key,
        sha256=sha256,
        size_bytes=size,
        status="quarantined",
        rows=0,
        error=f"{reason} (moved to {moved_to})",
    )


def _digest(handle: IO[bytes]) -> tuple[str, int]:
    """(sha256, size) of the open file, read a block at a time; the handle is rewound."""
    digest, size = hashlib.sha256(), 0
    while block := handle.read(1 << 20):
        digest.update(block)
        size += len(block)
    handle.seek(0)
    return digest.hexdigest(), size


def pick_up_new_files(
    session,
    landing: ObjectStore,
    dataset: str = DEFAULT_DATASET,
    datasets: Collection[str] = (),
    covariates: Sequence[Covariate] = (),
    chunk_rows: int | None = None,
) -> PickedUp:
    """Read every landing file of `dataset` not seen before (by name and content hash):
    those under `<dataset>/`, and for `default` also those in the landing root. `datasets`
    are the names of every dataset; `default`'s pickup quarantines files under a prefix
    that names none of them. `covariates` are the dataset's declared ones: the columns a
    file may hold besides its series, timestamp and value.

    Each file is read to its end, `chunk_rows` rows at a time (None: in one piece), before
    any of it is kept, so a file unreadable anywhere is set aside whole. The rows are kept
    while the batch has at most `chunk_rows`; past that only the batch's scan is (its rows are
    read again by `PickedUp.chunks`).

    Unreadable files are moved to quarantine and recorded at once; readable ones are only
    recorded as loaded after their rows are in the database (by the caller), so a failed run
    picks them up again.
    """
    known = set(datasets) | {dataset}
    picked = PickedUp(batch=None, chunk_rows=chunk_rows)
    kept: list[pd.DataFrame] | None = []
    for key in keys_by_dataset(new_landing_keys(landing), known).get(dataset, []):
        with landing.open_for_reading(key) as handle:
            sha256, size = _digest(handle)
            if is_known_file(session, key, sha256):
                continue
            reason = None
            if landing_dataset(key, known) is None:
                reason = unknown_prefix_reason(key, known)
            else:
                scan, rows, frames = BatchScan(), 0, []
                try:
                    for chunk in read_landing_chunks(handle, key, covariates, chunk_rows):
                        rows += len(chunk)
                        if kept is None:
                            scan.add(chunk, covariates)
                            continue
                        frames.append(chunk)
                        if chunk_rows is not None and picked.rows + rows > chunk_rows:
                            # too many rows to keep: scan what was kept, read it again later
                            for frame in kept:
                                picked.scan.add(frame, covariates)
                            for frame in frames:
                                scan.add(frame, covariates)
                            kept, frames = None, []
                except UnreadableFileError as exc:
                    reason = str(exc)
        if reason is not None:
            _set_aside(session, landing, key, sha256, size, reason)
            picked.quarantined_files.append((key, reason))
            continue
        picked.scan.merge(scan)
        picked.files.append((key, sha256, size, rows))
        if kept is not None:
            kept.extend(frames)
    if kept is not None:
        picked.batch = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
    return picked
