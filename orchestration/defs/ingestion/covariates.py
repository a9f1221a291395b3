"""The covariate columns of a landing batch: which rows carry covariate values only (no `y`:
future values of known-in-advance covariates, or static values), which rows hold a bad value
and why, and the good values typed for storage.

Each file is checked on the covariate columns it holds (`core.covariates.validate_covariates`):
a missing value, a value of the wrong type, not finite or of an unknown category, or a static
covariate with two values for one series makes the row bad. A row without a series and
without `y` holds known-in-advance values for every series of the dataset; one with `y` or
a static value makes the row bad, with the reason and the values
as received. A bad row is quarantined whole (its observation too); nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from core.covariates import ID_COL, TIME_COL, Covariate, CovariateError, validate_covariates
from core.db.repositories.covariates import CovariatesStored, store_covariates
from orchestration.defs.ingestion.expectations import ExpectationOutcome

__all__ = [
    "COVARIATES_VALID",
    "CovariateCheck",
    "check_covariates",
    "covariate_columns",
    "store_landed_covariates",
]

COVARIATES_VALID = "covariates_valid"
DESCRIPTION = (
    "every declared covariate value is present, of its type, finite and of a known category; "
    "a static covariate has one value per series"
)


@dataclass
class CovariateCheck:
    """What the covariate check found in a batch (indexed like the batch)."""

    covariate_only: pd.Series  # True for rows without `y` that carry covariate values
    reasons: dict[int, str] = field(default_factory=dict)  # batch row -> why it is bad
    values: pd.DataFrame = field(default_factory=pd.DataFrame)  # good rows' typed values

    def outcome(self, checked_rows: int) -> ExpectationOutcome:
        return ExpectationOutcome(
            name=COVARIATES_VALID,
            description=DESCRIPTION,
            success=not self.reasons,
            checked_rows=checked_rows,
            failed_rows=frozenset(self.reasons),
            row_reasons=dict(self.reasons),
        )


def covariate_columns(batch: pd.DataFrame, covariates: Sequence[Covariate]) -> list[str]:
    """The declared covariates some file of the batch holds, in declaration order."""
    return [c.name for c in covariates if c.name in batch.columns]


def _as_received(rows: pd.DataFrame, columns: list[str]) -> pd.Series:
    return rows[columns].apply(
        lambda row: ", ".join(f"{name}={row[name]!r}" for name in columns), axis=1
    )


def check_covariates(batch: pd.DataFrame, covariates: Sequence[Covariate]) -> CovariateCheck:
    """Check the covariate columns of `batch` (from `parse_landing_file`) file by file."""
    names = covariate_columns(batch, covariates)
    check = CovariateCheck(covariate_only=pd.Series(False, index=batch.index))
    typed = []
    for _, rows in batch.groupby("source_file", sort=False):
        held = [n for n in names if rows[n].notna().all()]  # absent columns are NaN (concat)
        if not held:
            continue
        given = rows[held].apply(lambda column: column.str.strip() != "")
        only = (rows["y_raw"].str.strip() == "") & given.any(axis=1)
        check.covariate_only[rows.index] = only
        local = pd.DataFrame(
            {ID_COL: rows[ID_COL], TIME_COL: rows[TIME_COL]}
            | {n: rows[n].where(given[n], None) for n in held}
        ).reset_index(drop=True)
        try:
            good, bad = validate_covariates(local, covariates)
        except CovariateError as error:  # a file-wide problem: every row of it is bad
            good, bad = local.iloc[:0], local.assign(reason=str(error))
        good.index = local.index[~local.index.isin(bad.index)]
        position = pd.Series(rows.index, index=local.index)
        received = _as_received(rows.reset_index(drop=True), held)
        for place in bad.index:
            check.reasons[int(position[place])] = (
                f"covariates: {bad.loc[place, 'reason']} ({received[place]})"
            )
        static = [n for n in held if next(c for c in covariates if c.name == n).kind == "static"]
        for place in local.index[local[ID_COL].isna()]:  # a value for every series
            if not only.iloc[place]:
                why = "an observation needs a series; a row for every series carries no y"
            elif any(given[n].iloc[place] for n in static):
                why = f"a static covariate ({', '.join(static)}) needs a series"
            else:
                continue
            check.reasons.setdefault(
                int(position[place]), f"covariates: the row names no series: {why} "
                f"({received[place]})"
            )  # fmt: skip
        kept = [p for p in good.index if int(position[p]) not in check.reasons]
        values = good.loc[kept]
        values.index = position[kept].to_numpy()
        typed.append(values)
    if typed:
        check.values = pd.concat(typed)
    return check


def store_landed_covariates(
    session,
    values: pd.DataFrame,
    covariates: Sequence[Covariate],
    *,
    dataset_id: int,
    frequency: str | None,
) -> CovariatesStored:
    """Store the good values a batch staged (`CovariateCheck.values`): each covariate from the
    rows of the files that held it; a series' static value, or a (series, timestamp) value,
    given by two files of one batch takes the later file's. Rows without a series are stored
    for every series of the dataset (`dataset_covariate_values`)."""
    stored = CovariatesStored.nothing()
    for name in covariate_columns(values, covariates):
        declared = next(c for c in covariates if c.name == name)
        part = values[values[name].notna()]
        keys = [ID_COL] if declared.kind == "static" else [ID_COL, TIME_COL]
        part = part.drop_duplicates(keys, keep="last")[[*keys, name]]
        stored += store_covariates(
            session, part, covariates, dataset_id=dataset_id, create_missing_series=True,
            frequency=frequency,
        )  # fmt: skip
    return stored
