"""Row counts per dataset of the operational database, so a drill proves every dataset came back.

The table fingerprints already prove a restored database equals the backed-up one; these
counts say it per forecasting problem (how many series, observations, forecasts... each
dataset has), in the backup's manifest and in the drill's report. A database from before
datasets (no `datasets` table) has none.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy import Connection, text

__all__ = [
    "DATASET_KEYED_TABLES",
    "DATASET_TABLES",
    "collect_dataset_counts",
    "compare_dataset_counts",
    "dataset_counts_query",
    "postgres_dataset_counts",
    "sqlite_dataset_counts",
]

# Tables counted per dataset: the series themselves, what hangs off a series, and the tables
# naming their dataset (quarantined rows when the file's prefix gave one, covariate values for
# every series, scenarios).
DATASET_TABLES = (
    "series", "observations", "forecasts", "live_accuracy", "series_drift",
    "static_covariates", "covariate_values",
)  # fmt: skip
DATASET_KEYED_TABLES = ("quarantine", "dataset_covariate_values", "scenarios")

# A query's rows: (dataset, table, rows).
Rows = Iterable[tuple[str, str, int]]


def dataset_counts_query(tables: Iterable[str]) -> str | None:
    """One SQL query (SQLite and PostgreSQL) counting each dataset's rows in `tables` that exist.

    `tables` are the database's table names; None when it has no `datasets` table.
    """
    present = set(tables)
    if "datasets" not in present or "series" not in present:
        return None
    parts = ["SELECT d.name, 'series', count(s.id) FROM datasets d "
             "LEFT JOIN series s ON s.dataset_id = d.id GROUP BY d.name"]  # fmt: skip
    for table in DATASET_TABLES[1:]:
        if table in present:
            parts.append(
                f"SELECT d.name, '{table}', count(t.series_id) FROM datasets d "
                f"LEFT JOIN series s ON s.dataset_id = d.id "
                f"LEFT JOIN {table} t ON t.series_id = s.id GROUP BY d.name"
            )
    for table in DATASET_KEYED_TABLES:
        if table in present:
            parts.append(
                f"SELECT d.name, '{table}', count(q.dataset_id) FROM datasets d "
                f"LEFT JOIN {table} q ON q.dataset_id = d.id GROUP BY d.name"
            )
    return " UNION ALL ".join(parts)


def collect_dataset_counts(
    tables: Iterable[str], execute: Callable[[str], Rows]
) -> dict[str, dict[str, int]]:
    """`{dataset: {table: rows}}` from running `dataset_counts_query` with `execute`."""
    query = dataset_counts_query(tables)
    if query is None:
        return {}
    counts: dict[str, dict[str, int]] = {}
    for dataset, table, rows in execute(query):
        counts.setdefault(dataset, {})[table] = int(rows)
    return {name: dict(sorted(found.items())) for name, found in sorted(counts.items())}


def postgres_dataset_counts(connection: Connection, tables: Iterable[str]) -> dict:
    """Counts per dataset seen by `connection`'s transaction (the dump's snapshot)."""
    return collect_dataset_counts(tables, lambda query: connection.execute(text(query)).all())


def sqlite_dataset_counts(path: Path, tables: Iterable[str]) -> dict:
    """Counts per dataset of the SQLite file at `path` (opened read-only)."""
    connection = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
    try:
        return collect_dataset_counts(tables, lambda query: connection.execute(query).fetchall())
    finally:
        connection.close()


def compare_dataset_counts(
    expected: dict[str, dict[str, int]], actual: dict[str, dict[str, int]], where: str
) -> None:
    """Raise `VerificationError` naming each dataset whose row counts differ from the backup's
    (in the tables the backup counted: an older backup counted fewer)."""
    from core.backup.errors import VerificationError

    problems = []
    for dataset in sorted(set(expected) | set(actual)):
        want, got = expected.get(dataset), actual.get(dataset)
        if want is None or got is None:
            problems.append(f"dataset {dataset} is {'missing' if got is None else 'unexpected'}")
            continue
        # a table the backup did not count (taken before it was counted) is not compared
        for table in sorted(want):
            if want.get(table) != got.get(table):
                problems.append(
                    f"dataset {dataset} has {got.get(table, 0)} {table} rows, "
                    f"the backup had {want.get(table, 0)}"
                )
    if problems:
        raise VerificationError(f"{where}: " + "; ".join(problems))
