"""What a batch read in chunks keeps for its checks across chunks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.covariates import Covariate
from orchestration.defs.ingestion.chunks import BatchScan, duplicate_keys, rechunked


def _rows(*keys: tuple[str | None, str | None], y: str = "1") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": [k[0] for k in keys],
            "ds": pd.to_datetime([k[1] for k in keys]),
            "y_raw": y,
            "source_file": "f.csv",
        }
    )


def test_keys_repeated_in_two_chunks_are_found_and_only_those():
    first = _rows(("a", "2024-01-01"), ("a", "2024-01-02"), (None, "2024-01-01"))
    second = _rows(("b", "2024-01-01"), ("a", "2024-01-02"), (None, "2024-01-01"))
    scan = BatchScan()
    scan.add(first)
    scan.add(second)
    found = duplicate_keys([first, second], scan.repeated_hashes())
    assert list(found) == [("a", pd.Timestamp("2024-01-02"))]  # rows without a series aside


def test_a_hash_collision_is_no_duplicate():
    chunks = [_rows(("a", "2024-01-01")), _rows(("b", "2024-01-01"))]
    scan = BatchScan()
    for chunk in chunks:
        scan.add(chunk)
    assert len(scan.repeated_hashes()) == 0
    every_hash = np.concatenate(scan.hashes)  # as if each had collided with another
    assert len(duplicate_keys(chunks, every_hash)) == 0


def test_rows_of_covariate_values_alone_are_no_duplicates():
    price = (Covariate("price"),)
    observed = _rows(("a", "2030-01-01")).assign(price="2.0")
    future = _rows(("a", "2030-01-01"), y="").assign(price="2.5")
    scan = BatchScan()
    scan.add(observed, price)
    scan.add(future, price)
    assert len(scan.repeated_hashes()) == 0


def test_earliest_timestamp_per_series_over_chunks():
    scan, other = BatchScan(), BatchScan()
    scan.add(_rows(("a", "2024-01-03"), ("b", "2024-01-02")))
    other.add(_rows(("a", "2024-01-01"), (None, "2023-01-01"), ("a", None)))
    scan.merge(other)
    assert scan.earliest == {"a": pd.Timestamp("2024-01-01"), "b": pd.Timestamp("2024-01-02")}


def test_pieces_are_joined_into_chunks_of_at_most_the_size():
    pieces = [pd.DataFrame({"x": range(n)}) for n in (4, 3, 5, 12, 1)]
    chunks = list(rechunked(pieces, 8))
    assert [len(c) for c in chunks] == [7, 5, 12, 1]
    assert all(list(c.index) == list(range(len(c))) for c in chunks)
    assert [len(c) for c in rechunked(pieces, None)] == [25]
