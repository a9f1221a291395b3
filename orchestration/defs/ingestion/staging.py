"""Check a picked-up batch and stage it: bad rows quarantined, good rows staged as Parquet;
then upsert the staged rows a part at a time.

A batch of at most `landing_chunk_rows` rows is checked whole and staged as one object,
`staging/<dataset>/<run_id>.parquet`. A larger one is read again a chunk at a time: each chunk
is checked as a batch is, with what the checks across chunks need from the whole batch (the
keys it repeats, each series' earliest row: `orchestration.defs.ingestion.chunks`), its bad
rows quarantined and its good rows staged as a part, `staging/<dataset>/<run_id>/part-N.parquet`.
Memory follows the chunk size, not the batch. The quarantined rows of every chunk are written
in the caller's transaction, and a failure deletes the parts written so far: a batch is
staged whole or not at all (the `StagedBatch` naming the parts exists only when all are).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from core.datasets import DatasetConfig
from core.db.repositories.observations import UpsertResult, upsert_panel
from core.db.repositories.quarantine import quarantine_frame
from core.storage import ObjectStore
from orchestration.defs.ingestion.chunks import duplicate_keys
from orchestration.defs.ingestion.pickup import PickedUp
from orchestration.defs.ingestion.validation import CheckTally, validate_batch

__all__ = ["Staged", "stage_batch", "upsert_staged"]


@dataclass
class Staged:
    """Where a batch's good rows went, and what its checks found."""

    staging_key: str  # the one object, or the prefix of the parts
    parts: tuple[str, ...] | None  # None: one object
    covariates_key: str | None = None
    rows_in: int = 0
    good_rows: int = 0
    bad_rows: int = 0
    covariate_rows: int = 0
    chunks: int = 0
    tally: CheckTally = field(default_factory=CheckTally)


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def stage_batch(
    session,
    picked: PickedUp,
    landing: ObjectStore,
    store: ObjectStore,
    rules: DatasetConfig,
    anchors: dict[str, datetime],
    *,
    dataset: str,
    dataset_id: int,
    run_id: str,
) -> Staged:
    """Check `picked`'s rows (`anchors`: each series' first stored point), quarantine the bad
    ones in `session` and stage the good ones in `store`."""
    in_chunks = picked.batch is None  # more rows than one chunk: checked a chunk at a time
    prefix = f"staging/{dataset}/{run_id}"
    duplicates = None
    if in_chunks:
        # A series with no stored point steps from its earliest row in the whole batch.
        anchors = picked.scan.earliest | anchors
        candidates = picked.scan.repeated_hashes()
        if len(candidates):
            duplicates = duplicate_keys(
                picked.chunks(landing, rules.covariates), candidates, rules.covariates
            )
    staged = Staged(staging_key=prefix if in_chunks else f"{prefix}.parquet", parts=None)
    parts: list[str] = []
    values: list[pd.DataFrame] = []
    try:
        for batch in picked.chunks(landing, rules.covariates):
            staged.chunks += 1
            if len(batch):
                checked = validate_batch(batch, rules, anchors, duplicates)
                good, bad = checked.good, checked.bad
                staged.tally.add(checked.outcomes)
                if len(checked.covariate_values):
                    values.append(checked.covariate_values)
            else:
                good = pd.DataFrame({"unique_id": [], "ds": pd.to_datetime([]), "y": []})
                bad = good.assign(source_file=[], expectation=[], reason=[])
            for source, rows in bad.groupby("source_file", sort=False):
                quarantine_frame(
                    session,
                    rows.assign(ds=rows["ds_raw"], y=rows["y_raw"]),
                    source=str(source),
                    run_id=run_id,
                    dataset_id=dataset_id,
                )
            if not in_chunks or len(good):
                key = f"{prefix}/part-{len(parts):05d}.parquet" if in_chunks else staged.staging_key
                store.put_bytes(key, _parquet_bytes(good))
                parts.append(key)
            staged.rows_in += len(batch)
            staged.good_rows += len(good)
            staged.bad_rows += len(bad)
        if values:
            covariate_values = pd.concat(values) if len(values) > 1 else values[0]
            staged.covariates_key = f"{prefix}.covariates.parquet"
            store.put_bytes(staged.covariates_key, _parquet_bytes(covariate_values))
            staged.covariate_rows = len(covariate_values)
    except BaseException:
        for key in [*parts, staged.covariates_key]:  # no staged object outlives a failure
            if key:
                store.delete(key)
        raise
    staged.parts = tuple(parts) if in_chunks else None
    return staged


def upsert_staged(
    session, store: ObjectStore, parts: tuple[str, ...], *, frequency: str | None, dataset_id: int
) -> UpsertResult | None:
    """Upsert the staged good rows (`StagedBatch.parts`) a part at a time, each through
    `upsert_panel`'s staged COPY, all in the caller's transaction: only one part is in memory
    at a time, and a failure applies none. None when there were no rows."""
    result = None
    for key in parts:
        rows = pd.read_parquet(io.BytesIO(store.get_bytes(key)))
        if len(rows):
            done = upsert_panel(session, rows, frequency=frequency, dataset_id=dataset_id)
            result = done if result is None else result + done
    return result
