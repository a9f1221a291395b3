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
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import pandas as pd

from core.covariates import Covariate
from core.datasets.columns import COLUMN_ALIASES

__all__ = [
    "COLUMN_ALIASES",
    "SUPPORTED_SUFFIXES",
    "LandingFile",
    "UnreadableFileError",
    "parse_landing_file",
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
        return PurePosixPath(self.key).suffix.lower()


def _read_table(file: LandingFile) -> pd.DataFrame:
    try:
        if file.suffix == ".csv":
            return pd.read_csv(io.BytesIO(file.data), dtype=str, keep_default_na=False)
        if file.suffix in (".parquet", ".pq"):
            return pd.read_parquet(io.BytesIO(file.data))
    except Exception as exc:  # any parser failure means the same thing: quarantine the file
        raise UnreadableFileError(f"cannot parse {file.key}: {exc}") from exc
    raise UnreadableFileError(
        f"{file.key}: unsupported file type {file.suffix!r}; use one of {SUPPORTED_SUFFIXES}"
    )


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


def parse_landing_file(file: LandingFile, covariates: Sequence[Covariate] = ()) -> pd.DataFrame:
    """Rows of `file` with raw and parsed columns; raises `UnreadableFileError`.

    Columns: `unique_id` (None when empty), `ds` (NaT when not a timestamp), `y` (NaN when not
    a number), `ds_raw`, `y_raw`, `source_file`, `source_row` (1-based data row number), and
    one raw text column per declared covariate the file holds (`""` when empty).
    """
    table, held = _canonical_columns(_read_table(file), file.key, covariates)
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
            "source_file": file.key,
            "source_row": range(1, len(table) + 1),
            **{name: _as_text(table[name]) for name in held},
        }
    )
