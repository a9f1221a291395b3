"""Checks on uploaded observations that the schema cannot make, with row-level errors.

Every problem is reported with where it is (`loc`: body path or file line and column), what
is wrong and a machine code; one bad row rejects the whole upload, nothing is written.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.errors import ApiError
from core.datasets.frequency import normalized_frequency, off_grid_positions
from core.db.repositories.datasets import default_dataset_id, find_dataset
from core.db.repositories.observations import UpsertResult, upsert_observations
from core.db.repositories.series import create_series, existing_series_ids
from core.db.tables import Dataset, Observation
from core.db.types import as_utc

__all__ = [
    "MAX_REPORTED_ERRORS",
    "UploadRow",
    "parse_csv",
    "reject_rows",
    "row_problem",
    "store_rows",
]

MAX_REPORTED_ERRORS = 100
MAX_SERIES_NAME = 255  # series.name is VARCHAR(255), as the JSON bodies' schema says
CSV_COLUMNS = {"series": ("series", "unique_id"), "ts": ("ts", "ds"), "value": ("value", "y")}


@dataclass(frozen=True)
class UploadRow:
    """One observation and where it came from (`loc` prefix for error messages)."""

    loc: tuple[Any, ...]
    series: str
    ts: datetime
    value: float


def row_problem(loc: Sequence[Any], kind: str, message: str) -> dict[str, Any]:
    return {"loc": list(loc), "message": message, "type": kind}


def reject_rows(
    summary: str, problems: list[dict[str, Any]], *, status: int = 422, code: str = "invalid_rows"
) -> ApiError:
    shown = problems[:MAX_REPORTED_ERRORS]
    more = len(problems) - len(shown)
    suffix = f" (first {len(shown)} listed)" if more else ""
    return ApiError(
        status,
        code,
        f"{summary}: {len(problems)} problem(s){suffix}; nothing was written",
        {"errors": shown, "error_count": len(problems)},
    )


def _column_map(header: list[str]) -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    found: dict[str, int] = {}
    for field, aliases in CSV_COLUMNS.items():
        matches = [names.index(alias) for alias in aliases if alias in names]
        if not matches:
            expected = " or ".join(aliases)
            raise ApiError(
                422,
                "invalid_csv",
                f"the CSV header lacks a {field} column ({expected}); header is {header}",
            )
        found[field] = matches[0]
    return found


def _parse_line(line: int, cells: list[str], columns: dict[str, int], problems: list) -> Any:
    def cell(field: str) -> str:
        index = columns[field]
        return cells[index].strip() if index < len(cells) else ""

    series, ts_text, value_text = cell("series"), cell("ts"), cell("value")
    bad = len(problems)
    if not series:
        problems.append(row_problem(("file", line, "series"), "missing", "series name is empty"))
    elif len(series) > MAX_SERIES_NAME:
        message = f"series name is longer than {MAX_SERIES_NAME} characters"
        problems.append(row_problem(("file", line, "series"), "too_long", message))
    try:
        ts = datetime.fromisoformat(ts_text)
    except ValueError:
        message = f"timestamp {ts_text!r} is not ISO 8601"
        problems.append(row_problem(("file", line, "ts"), "invalid_timestamp", message))
    try:
        value = float(value_text)
        if not math.isfinite(value):
            raise ValueError(value_text)
    except ValueError:
        message = f"value {value_text!r} is not a finite number"
        problems.append(row_problem(("file", line, "value"), "invalid_value", message))
    if len(problems) > bad:
        return None
    return UploadRow(("file", line), series, ts, value)


def parse_csv(content: bytes, max_rows: int) -> list[UploadRow]:
    """Rows of a `series,ts,value` (or `unique_id,ds,y`) CSV; line numbers count the header.
    A file the csv module cannot read (a field over its size limit, a stray quote) is a 422
    naming the line."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ApiError(422, "invalid_csv", f"the CSV is not UTF-8 text: {error}") from error
    # newline="": lines end at \n, \r\n or a lone \r, as the csv module expects.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _parse_rows(reader, max_rows)
    except csv.Error as error:
        message = f"the CSV cannot be read at line {reader.line_num}: {error}"
        raise ApiError(422, "invalid_csv", message) from error


def _parse_rows(reader: Any, max_rows: int) -> list[UploadRow]:
    header = next(reader, None)
    if not header:
        raise ApiError(422, "invalid_csv", "the CSV is empty; expected a header and rows")
    columns = _column_map(header)
    rows: list[UploadRow] = []
    problems: list[dict[str, Any]] = []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines carry no row
        if line - 1 > max_rows:
            raise ApiError(413, "payload_too_large", f"the CSV has more than {max_rows} rows")
        row = _parse_line(line, cells, columns, problems)
        if row is not None:
            rows.append(row)
    if problems:
        raise reject_rows("the CSV has invalid rows", problems)
    if not rows:
        raise ApiError(422, "invalid_csv", "the CSV has a header but no rows")
    return rows


def _check_duplicates(rows: Sequence[UploadRow]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, datetime], tuple[Any, ...]] = {}
    problems = []
    for row in rows:
        key = (row.series, as_utc(row.ts))
        if key in seen:
            message = (
                f"series {row.series!r} at {key[1].isoformat()} repeats the row at "
                f"{list(seen[key])}"
            )
            problems.append(row_problem(row.loc, "duplicate_row", message))
        else:
            seen[key] = row.loc
    return problems


def _series_ids(
    session: Session,
    rows: Sequence[UploadRow],
    create_missing: bool,
    frequency: str | None,
    dataset: Dataset,
) -> tuple[dict[str, int], list[str]]:
    names = {row.series for row in rows}
    found = existing_series_ids(session, names, dataset.id)
    missing = sorted(names - found.keys())
    if missing and not create_missing:
        rows_by_name: dict[str, list] = defaultdict(list)
        for row in rows:
            if row.series in missing:
                rows_by_name[row.series].append(row)
        problems = [
            row_problem(row.loc, "unknown_series", f"series {row.series!r} does not exist")
            for name in missing
            for row in rows_by_name[name]
        ]
        hint = "create them first or send create_missing_series=true"
        # The rows are well-formed; what they name does not exist: 404, as for any record.
        raise reject_rows(
            f"unknown series {missing[:10]} ({hint})", problems, status=404, code="unknown_series"
        )
    for name in missing:
        found[name] = create_series(session, name, frequency, dataset_id=dataset.id).id
    return found, missing


def _dataset(session: Session, name: str | None) -> Dataset:
    """The named dataset (404 naming the known ones when it does not exist), else `default`."""
    if name is None:
        return session.get(Dataset, default_dataset_id(session))
    return find_dataset(session, name)


def _series_frequency(dataset: Dataset, given: str | None) -> str | None:
    """The frequency created series get: the dataset's; one given must agree with it."""
    if given is None:
        return dataset.frequency
    try:
        normalized = normalized_frequency(given)
    except ValueError as error:
        raise ApiError(422, "invalid_input", str(error)) from error
    if dataset.frequency is not None and normalized != dataset.frequency:
        raise ApiError(
            422,
            "frequency_mismatch",
            f"frequency {given!r} differs from dataset {dataset.name!r}'s {dataset.frequency!r}; "
            "leave it out (series take their dataset's) or use another dataset",
        )
    return given


def _first_stamps(session: Session, series_ids: Sequence[int]) -> dict[int, datetime]:
    query = (
        select(Observation.series_id, func.min(Observation.ts))
        .where(Observation.series_id.in_(series_ids))
        .group_by(Observation.series_id)
    )
    return {series_id: as_utc(first) for series_id, first in session.execute(query)}


def _off_grid(
    session: Session, rows: Sequence[UploadRow], ids: dict[str, int], dataset: Dataset
) -> list[dict[str, Any]]:
    """Rows whose timestamps are off the dataset's frequency grid (none while the dataset's
    frequency is not fixed yet). Fixed steps count from each series' first stored point."""
    if dataset.frequency is None:
        return []
    by_series: dict[str, list[UploadRow]] = defaultdict(list)
    for row in rows:
        by_series[row.series].append(row)
    anchors = _first_stamps(session, list(ids.values()))
    problems = []
    for name, series_rows in by_series.items():
        stamps = [as_utc(row.ts) for row in series_rows]
        anchor = anchors.get(ids[name])
        for position in off_grid_positions(stamps, dataset.frequency, anchor):
            row = series_rows[position]
            message = (
                f"series {name!r} at {stamps[position].isoformat()} is off the grid of dataset "
                f"{dataset.name!r} (frequency {dataset.frequency})"
            )
            problems.append(row_problem(row.loc, "off_grid", message))
    return problems


def store_rows(
    session: Session,
    rows: Sequence[UploadRow],
    *,
    create_missing: bool = False,
    frequency: str | None = None,
    dataset: str | None = None,
) -> tuple[UpsertResult, list[str]]:
    """Upsert the rows into the dataset (None: `default`) in the session's transaction;
    (counts, names of series created). Rows off the dataset's frequency grid are refused."""
    duplicates = _check_duplicates(rows)
    if duplicates:
        raise reject_rows("the upload repeats (series, timestamp) keys", duplicates)
    target = _dataset(session, dataset)
    series_frequency = _series_frequency(target, frequency)
    ids, created = _series_ids(session, rows, create_missing, series_frequency, target)
    off_grid = _off_grid(session, rows, ids, target)
    if off_grid:
        raise reject_rows(
            f"rows off the grid of dataset {target.name!r} ({target.frequency})",
            off_grid,
            code="off_grid",
        )
    result = upsert_observations(session, ((ids[r.series], r.ts, r.value) for r in rows))
    return result, created
