"""Reading observation files from the landing area into one staged frame.

A landing file is CSV or Parquet in long format. Column names may be any of the usual
aliases (`unique_id`/`series`/`series_id`, `ds`/`timestamp`/`date`, `y`/`value`). Values are
kept exactly as they arrived (`*_raw`) next to their parsed form, so a row that fails
validation can be quarantined with what was actually received.

Beside them a file may hold a column for each covariate its dataset declares (static or known
in advance; matched by name, case and spaces aside), kept as raw text for the covariate check
(`orchestration.defs.ingestion.covariates`); a file of covariates alone needs no `y` column.
Any other column makes the file unreadable: it is quarantined with the reason, never read
with the column silently left out.

`read_landing_chunks` reads a file from an open handle a chunk of rows at a time (CSV through
pandas' chunked reader, Parquet a record batch at a time), so a file larger than memory can be
read; `parse_landing_file` reads one in a piece. Both give the same rows.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import pandas as pd
import pyarrow.parquet as pq

from core.covariates import Covariate
from core.datasets.columns import COLUMN_ALIASES

__all__ = [
    "COLUMN_ALIASES",
    "SUPPORTED_SUFFIXES",
    "LandingFile",
    "UnreadableFileError",
    "parse_landing_file",
    "read_landing_chunks",
]

SUPPORTED_SUFFIXES = (".csv", ".parquet", ".pq")


class UnreadableFileError(ValueError):
    """A landing file that cannot be read as an observations table; it goes to quarantine."""


@dataclass(frozen=True)
class LandingFile:
    """One file found in the landing area."""

    key: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def suffix(self) -> str:
        return _suffix(self.key)


def _suffix(key: str) -> str:
    return PurePosixPath(key).suffix.lower()


def _parquet_batches(handle, chunk_rows: int | None) -> Iterator[pd.DataFrame]:
    if chunk_rows is None:
        yield pd.read_parquet(handle)
        return
    parquet = pq.ParquetFile(handle)
    # Index columns pandas stored (`to_parquet(index=True)`) are not data, as in one piece.
    metadata = parquet.schema_arrow.pandas_metadata or {}
    index = {name for name in metadata.get("index_columns", []) if isinstance(name, str)}
    columns = [name for name in parquet.schema_arrow.names if name not in index]
    empty = True
    for batch in parquet.iter_batches(batch_size=chunk_rows, columns=columns):
        empty = False
        yield batch.to_pandas()
    if empty:
        yield parquet.schema_arrow.empty_table().select(columns).to_pandas()


def _read_tables(handle, key: str, chunk_rows: int | None) -> Iterator[pd.DataFrame]:
    """The file's table (`chunk_rows` None) or its chunks, as read; parser failures raise
    `UnreadableFileError`, wherever in the file they are met."""
    suffix = _suffix(key)
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFileError(
            f"{key}: unsupported file type {suffix!r}; use one of {SUPPORTED_SUFFIXES}"
        )
    try:
        if suffix == ".csv":
            if chunk_rows is None:
                yield pd.read_csv(handle, dtype=str, keep_default_na=False)
            else:
                with pd.read_csv(
                    handle, dtype=str, keep_default_na=False, chunksize=chunk_rows
                ) as reader:
                    yield from reader
        else:
            yield from _parquet_batches(handle, chunk_rows)
    except UnreadableFileError:
        raise
    except Exception as exc:  # any parser failure means the same thing: quarantine the file
        raise UnreadableFileError(f"cannot parse {key}: {exc}") from exc


def _canonical_columns(
    frame: pd.DataFrame, key: str, covariates: Sequence[Covariate] = ()
) -> tuple[pd.DataFrame, list[str]]:
    """The frame with canonical column names, and the declared covariates it holds."""
    lowered = {str(c).strip().lower(): c for c in frame.columns}
    mapping, missing = {}, []
    for canonical, aliases in COLUMN_ALIASES.items():
        found = next((lowered[a] for a in aliases if a in lowered), None)
        if found is None:
            missing.append(f"{canonical} (any of {', '.join(aliases)})")
        else:
            mapping[found] = canonical
    declared = {c.name: c for c in covariates}
    others = [name for name in lowered if lowered[name] not in mapping]
    held = [name for name in others if name in declared and declared[name].kind != "calendar"]
    if held and missing == [f"y (any of {', '.join(COLUMN_ALIASES['y'])})"]:
        missing = []  # a file of covariate values alone
    if missing:
        raise UnreadableFileError(
            f"{key}: missing required column(s) {'; '.join(missing)}; found {list(frame.columns)}"
        )
    calendar = sorted(n for n in others if n in declared and declared[n].kind == "calendar")
    if calendar:
        raise UnreadableFileError(
            f"{key}: calendar covariates {calendar} take no values (they follow from ds); "
            "remove their columns"
        )
    undeclared = sorted(str(lowered[n]) for n in others if n not in declared)
    if undeclared:
        raise UnreadableFileError(
            f"{key}: undeclared column(s) {undeclared}; the dataset's covariates: "
            f"{sorted(declared) or 'none'}. Declare them on the dataset (`covariates`) or "
            "remove the columns"
        )
    mapping.update({lowered[name]: name for name in held})
    renamed = frame.rename(columns=mapping)
    if "y" not in renamed.columns:
        renamed["y"] = ""
    return renamed[[*COLUMN_ALIASES, *held]], held


def _as_text(column: pd.Series) -> pd.Series:
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=False) == "string":
        return column.copy()  # text already (every CSV column): nothing to convert per value
    return column.map(
        lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
    )


def _stripped(column: pd.Series) -> pd.Series:
    """`column.str.strip()`, stripping each distinct text once (a series' name repeats on
    every one of its rows)."""
    codes, uniques = pd.factorize(column)
    stripped = pd.Index(uniques, dtype=object).str.strip().to_numpy(dtype=object)
    return pd.Series(stripped[codes], index=column.index, dtype=object)


def _parsed(table: pd.DataFrame, key: str, held: list[str], first_row: int) -> pd.DataFrame:
    ids = _stripped(_as_text(table["unique_id"]))
    ds_raw = _as_text(table["ds"])
    y_raw = _as_text(table["y"])
    parsed_ds = pd.to_datetime(
        ds_raw.where(ds_raw != ""), errors="coerce", utc=True, format="mixed"
    )
    return pd.DataFrame(
        {
            "unique_id": ids.where(ids != "", None),
            "ds": parsed_ds.dt.tz_localize(None),
            # a blank value (empty or whitespace only) is not a number either: NaN
            "y": pd.to_numeric(y_raw, errors="coerce"),
            "ds_raw": ds_raw,
            "y_raw": y_raw,
            "source_file": key,
            "source_row": range(first_row, first_row + len(table)),
            **{name: _as_text(table[name]) for name in held},
        }
    ).reset_index(drop=True)


def read_landing_chunks(
    handle,
    key: str,
    covariates: Sequence[Covariate] = (),
    chunk_rows: int | None = None,
) -> Iterator[pd.DataFrame]:
    """The rows of the file open as `handle` (named `key`), parsed as `parse_landing_file`
    parses them, at most `chunk_rows` at a time (None: in one piece); `source_row` counts on
    across chunks. A file holding covariate columns comes in one piece whatever `chunk_rows`
    (its covariates are checked file by file: a static value per series). Raises
    `UnreadableFileError`, also after earlier chunks were given: read a file to its end before
    keeping any of it."""
    if chunk_rows is not None and chunk_rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    first_row, pieces = 1, []
    for table in _read_tables(handle, key, chunk_rows):
        canonical, held = _canonical_columns(table, key, covariates)
        chunk = _parsed(canonical, key, held, first_row)
        first_row += len(chunk)
        if held:
            pieces.append(chunk)
        else:
            yield chunk
    if pieces:
        yield pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]


def parse_landing_file(file: LandingFile, covariates: Sequence[Covariate] = ()) -> pd.DataFrame:
    """Rows of `file` with raw and parsed columns; raises `UnreadableFileError`.

    Columns: `unique_id` (None when empty), `ds` (NaT when not a timestamp), `y` (NaN when not
    a number), `ds_raw`, `y_raw`, `source_file`, `source_row` (1-based data row number), and
    one raw text column per declared covariate the file holds (`""` when empty).
    """
    [rows] = read_landing_chunks(io.BytesIO(file.data), file.key, covariates)
    return rows
