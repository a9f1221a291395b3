"""A landing batch read in chunks: what its checks need across chunks, and the chunks.

Two checks of a batch look beyond one row: no (series, timestamp) twice in the batch, and the
frequency grid, whose fixed steps count from a series' earliest row when the series has no
stored point. A batch read in chunks keeps, from a first read of every row (`BatchScan`):

- a 64-bit hash of each observed row's (series, timestamp): 8 bytes a row (58 MiB for 7.3
  million rows; finding the repeated ones sorts them in place, with one more byte a row for
  a moment), the only part that grows with the batch;
- each series' earliest timestamp: one per series.

Hashes seen twice name the candidate duplicates; `duplicate_keys` reads the batch once more,
only when there are candidates, and keeps the exact keys of the candidate rows (as many as
there are repeated rows), so a hash collision never quarantines a row. A chunk is then
checked as a whole batch is, with those two answers from the whole batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from core.covariates import Covariate
from orchestration.defs.ingestion.covariates import check_covariates, covariate_columns

__all__ = ["BatchScan", "duplicate_keys", "keyed_rows", "rechunked"]


def keyed_rows(chunk: pd.DataFrame, covariates: Sequence[Covariate] = ()) -> pd.Series:
    """Rows of `chunk` the duplicate check looks at: observations (not rows of covariate
    values alone) that name their series and have a timestamp."""
    keyed = chunk["unique_id"].notna() & chunk["ds"].notna()
    if covariate_columns(chunk, covariates):
        keyed &= ~check_covariates(chunk, covariates).covariate_only
    return keyed


def _hashes(keys: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(keys[["unique_id", "ds"]], index=False).to_numpy()


@dataclass
class BatchScan:
    """What one read of a batch keeps for the checks across its chunks."""

    hashes: list[np.ndarray] = field(default_factory=list)  # per chunk, of its keyed rows
    earliest: dict[str, datetime] = field(default_factory=dict)  # series -> first timestamp

    def add(self, chunk: pd.DataFrame, covariates: Sequence[Covariate] = ()) -> None:
        self.hashes.append(_hashes(chunk[keyed_rows(chunk, covariates)]))
        timed = chunk[chunk["unique_id"].notna() & chunk["ds"].notna()]
        for name, first in timed.groupby("unique_id", sort=False)["ds"].min().items():
            known = self.earliest.get(name)
            self.earliest[name] = first if known is None else min(known, first)

    def merge(self, other: BatchScan) -> None:
        self.hashes.extend(other.hashes)
        for name, first in other.earliest.items():
            known = self.earliest.get(name)
            self.earliest[name] = first if known is None else min(known, first)

    def repeated_hashes(self) -> np.ndarray:
        """Sorted hashes seen more than once: every duplicate key's, maybe a collision."""
        if not self.hashes:
            return np.array([], dtype=np.uint64)
        values = np.concatenate(self.hashes)
        self.hashes = [values]  # one array from here on, sorted in place: 8 bytes a row
        values.sort()
        return np.unique(values[1:][values[1:] == values[:-1]])


def duplicate_keys(
    chunks: Iterable[pd.DataFrame], candidates: np.ndarray, covariates: Sequence[Covariate] = ()
) -> pd.MultiIndex:
    """The (series, timestamp) keys of keyed rows that occur more than once in the batch,
    given the candidate hashes (`BatchScan.repeated_hashes`): exact, collisions left out."""
    found = [pd.DataFrame({"unique_id": [], "ds": pd.to_datetime([])})]
    for chunk in chunks:
        rows = chunk[keyed_rows(chunk, covariates)]
        found.append(rows.loc[np.isin(_hashes(rows), candidates), ["unique_id", "ds"]])
    keys = pd.concat(found, ignore_index=True)
    return pd.MultiIndex.from_frame(keys[keys.duplicated(keep=False)].drop_duplicates())


def rechunked(pieces: Iterable[pd.DataFrame], chunk_rows: int | None) -> Iterator[pd.DataFrame]:
    """The pieces (parts of consecutive files) joined into chunks of at most `chunk_rows` rows
    (a piece larger than that comes alone), each indexed 0..n-1."""
    held: list[pd.DataFrame] = []
    count = 0
    for piece in pieces:
        if held and chunk_rows is not None and count + len(piece) > chunk_rows:
            yield pd.concat(held, ignore_index=True)
            held, count = [], 0
        held.append(piece)
        count += len(piece)
    if held:
        yield pd.concat(held, ignore_index=True)
