"""Validate a landing batch, or one chunk of it: every check, good and bad rows, and a tally
of the checks over all the chunks of a batch."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from core.datasets import DatasetConfig
from orchestration.defs.ingestion.covariates import check_covariates
from orchestration.defs.ingestion.expectations import (
    ExpectationOutcome,
    frequency_grid_outcome,
    run_observation_suite,
)
from orchestration.defs.ingestion.quarantine import split_batch

__all__ = ["DUPLICATES", "CheckTally", "Validated", "validate_batch"]

DUPLICATES = "no_duplicate_timestamps"


@dataclass
class Validated:
    """A batch (or chunk) checked: its good and bad rows, and what each check found."""

    good: pd.DataFrame  # unique_id, ds, y of the good observations
    bad: pd.DataFrame  # bad rows with `expectation` and `reason`
    outcomes: list[ExpectationOutcome]
    covariate_values: pd.DataFrame  # good rows' typed covariate values


def _on_batch_rows(outcome: ExpectationOutcome, rows: pd.Index) -> ExpectationOutcome:
    """An outcome over a part of the batch (its rows at positions 0..n-1) on the batch's rows."""
    return dataclasses.replace(
        outcome, failed_rows=frozenset(int(rows[i]) for i in outcome.failed_rows)
    )


def _with_duplicates(
    outcomes: list[ExpectationOutcome], keyed: pd.DataFrame, duplicates: pd.MultiIndex
) -> list[ExpectationOutcome]:
    """The duplicate check's outcome with the rows whose key other chunks repeat."""
    repeated = pd.MultiIndex.from_frame(keyed[["unique_id", "ds"]]).isin(duplicates)
    extra = frozenset(int(i) for i in keyed.index[repeated])
    return [
        dataclasses.replace(o, failed_rows=o.failed_rows | extra, success=o.success and not extra)
        if o.name == DUPLICATES
        else o
        for o in outcomes
    ]


def validate_batch(
    batch: pd.DataFrame,
    rules: DatasetConfig,
    anchors: dict[str, datetime],
    duplicates: pd.MultiIndex | None = None,
) -> Validated:
    """Check `batch` (from `parse_landing_file`, indexed 0..n-1): the Great Expectations suite
    on its observations, the frequency grid from `anchors` (each series' first stored point,
    else its earliest row here), the covariates. `duplicates`: the (series, timestamp) keys
    repeated anywhere in the whole batch when `batch` is one chunk of it."""
    covariates = check_covariates(batch, rules.covariates)
    observed = batch[~covariates.covariate_only]  # rows without y: covariate values only
    outcomes = [
        _on_batch_rows(outcome, observed.index)
        for outcome in (
            run_observation_suite(
                observed.reset_index(drop=True),
                value_min=rules.value_min,
                value_max=rules.value_max,
            )
            if len(observed)
            else []
        )
    ]
    if duplicates is not None and len(duplicates) and len(observed):
        keyed = observed[observed["unique_id"].notna() & observed["ds"].notna()]
        outcomes = _with_duplicates(outcomes, keyed, duplicates)
    outcomes.append(frequency_grid_outcome(batch, rules.frequency, anchors))
    outcomes.append(covariates.outcome(len(batch)))
    good, bad = split_batch(batch, outcomes)
    values = covariates.values
    covariate_values = values[values.index.isin(good.index)] if len(values) else values
    good = good[~covariates.covariate_only[good.index]]
    return Validated(good[["unique_id", "ds", "y"]], bad, outcomes, covariate_values)


@dataclass
class CheckTally:
    """Each check's result over every chunk of a batch: passed only if it passed in each."""

    passed: dict[str, bool] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    def add(self, outcomes: list[ExpectationOutcome]) -> None:
        for outcome in outcomes:
            self.passed[outcome.name] = self.passed.get(outcome.name, True) and outcome.success
            self.failed[outcome.name] = self.failed.get(outcome.name, 0) + len(outcome.failed_rows)
