"""The Great Expectations suite that every staged batch of observations must pass.

Each expectation yields the rows it rejects, so failing rows can be quarantined with the
expectation that failed, and a Dagster asset check can report counts per expectation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from core.datasets.frequency import off_grid_positions

__all__ = [
    "FREQUENCY_GRID",
    "ExpectationOutcome",
    "frequency_grid_outcome",
    "run_observation_suite",
]

FREQUENCY_GRID = "on_frequency_grid"

_FINITE_LIMIT = 1e300  # |y| above this is treated as infinite


@dataclass(frozen=True)
class ExpectationOutcome:
    """What one expectation found in a batch."""

    name: str
    description: str
    success: bool
    checked_rows: int
    failed_rows: frozenset[int] = field(default_factory=frozenset)
    # why each failed row failed, where that differs by row (else the description says it)
    row_reasons: Mapping[int, str] = field(default_factory=dict, hash=False, compare=False)


def _suite(value_min: float | None, value_max: float | None):
    import great_expectations as gx

    low = -_FINITE_LIMIT if value_min is None else value_min
    high = _FINITE_LIMIT if value_max is None else value_max
    return [
        (
            "schema",
            "columns unique_id, ds and y are present",
            gx.expectations.ExpectTableColumnsToMatchSet(
                column_set=["unique_id", "ds", "y"], exact_match=False
            ),
        ),
        (
            "series_id_not_null",
            "every row names its series",
            gx.expectations.ExpectColumnValuesToNotBeNull(column="unique_id"),
        ),
        (
            "timestamp_valid",
            "every timestamp parses",
            gx.expectations.ExpectColumnValuesToNotBeNull(column="ds"),
        ),
        (
            "value_numeric",
            "every value is a number",
            gx.expectations.ExpectColumnValuesToNotBeNull(column="y"),
        ),
        (
            "value_in_bounds",
            f"every value is finite and within [{low:g}, {high:g}]",
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="y", min_value=low, max_value=high
            ),
        ),
        (
            "no_duplicate_timestamps",
            "each (series, timestamp) appears once",
            gx.expectations.ExpectCompoundColumnsToBeUnique(
                column_list=["unique_id", "ds"], ignore_row_if="any_value_is_missing"
            ),
        ),
    ]


def run_observation_suite(
    batch: pd.DataFrame, *, value_min: float | None = None, value_max: float | None = None
) -> list[ExpectationOutcome]:
    """Validate `batch` (columns unique_id, ds, y) and return one outcome per expectation."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    frame = batch[["unique_id", "ds", "y"]].reset_index(drop=True)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("landing").add_dataframe_asset("observations")
    batch_definition = asset.add_batch_definition_whole_dataframe("staged")
    named = _suite(value_min, value_max)
    suite = gx.ExpectationSuite(name="observations")
    for name, _, expectation in named:
        expectation.meta = {"quantis_name": name}
        suite.add_expectation(expectation)
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite, result_format="COMPLETE"
    )
    # GE does not keep the suite's order in its results: match them by the name in `meta`.
    by_name = {res.expectation_config.meta["quantis_name"]: res for res in result.results}
    outcomes = []
    for name, description, _ in named:
        res = by_name[name]
        failed = frozenset(int(i) for i in (res.result.get("unexpected_index_list") or []))
        outcomes.append(
            ExpectationOutcome(
                name=name,
                description=description,
                success=bool(res.success),
                checked_rows=len(frame),
                failed_rows=failed,
            )
        )
    return outcomes


def frequency_grid_outcome(
    batch: pd.DataFrame, frequency: str | None, anchors: dict[str, datetime]
) -> ExpectationOutcome:
    """Rows of `batch` whose timestamp is off the dataset's `frequency` grid (the grid the API
    door enforces, `core.datasets.frequency`); fixed steps count from each series' first
    stored point (`anchors`), else its earliest row here; a row without a series (values for
    every series) from the dataset's first stored point, else the earliest such row. Nothing
    fails while the dataset's frequency is not fixed (its first ingest fixes it), nor a row
    without a time."""
    description = f"every timestamp is on the dataset's frequency grid ({frequency or 'not fixed'})"
    failed: list[int] = []
    if frequency is not None and len(batch):
        frame = batch[["unique_id", "ds"]].reset_index(drop=True)
        frame = frame[frame["ds"].notna()]
        groups = list(frame[frame["unique_id"].notna()].groupby("unique_id", sort=False))
        groups.append((None, frame[frame["unique_id"].isna()]))
        for name, rows in groups:
            anchor = anchors.get(name) if name is not None else min(anchors.values(), default=None)
            positions = off_grid_positions(list(rows["ds"]), frequency, anchor)
            failed.extend(int(rows.index[p]) for p in positions)
    return ExpectationOutcome(
        name=FREQUENCY_GRID,
        description=description,
        success=not failed,
        checked_rows=len(batch),
        failed_rows=frozenset(failed),
    )
