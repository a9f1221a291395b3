"""Checks on covariate values sent for one series, or for every series of a dataset, with a
problem per bad row.

Each value is checked against its dataset's declaration (`core.covariates`): the name is
declared, of the kind of the list it is in (static or known in advance; calendar covariates
take no values), and the value of the covariate's type, finite and of a known category; a
(timestamp, covariate) or static covariate given twice, and a timestamp off the dataset's
frequency grid (counted from the series' first observation; for every series, from the
dataset's first), are bad rows too. One bad row rejects the whole request; nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.observations_input import reject_rows, row_problem
from api.schemas.covariates import (
    CovariateValueIn,
    DatasetCovariatesUpsert,
    SeriesCovariatesUpsert,
    StaticCovariateIn,
)
from core.covariates import Covariate, validate_covariates
from core.datasets.frequency import off_grid_positions
from core.db.repositories.covariates import CovariatesStored, store_covariates
from core.db.tables import Dataset, Observation, Series
from core.db.types import as_utc

__all__ = ["store_dataset_covariates", "store_series_covariates"]


def _declared_problems(
    rows: Sequence[StaticCovariateIn], where: str, kind: str, declared: dict[str, Covariate]
) -> list[dict[str, Any]]:
    problems = []
    for i, row in enumerate(rows):
        covariate = declared.get(row.name)
        if covariate is None:
            message = f"{row.name!r} is not a declared covariate (declared: {sorted(declared)})"
        elif covariate.kind != kind:
            message = f"{row.name!r} is a {covariate.kind} covariate, not {kind}" + (
                ": its values follow from the timestamps" if covariate.kind == "calendar" else ""
            )
        else:
            continue
        problems.append(row_problem(("body", where, i, "name"), "undeclared_covariate", message))
    return problems


def _value_problems(
    rows: Sequence[StaticCovariateIn],
    where: str,
    declared: dict[str, Covariate],
    series: str | None,
) -> tuple[list[pd.DataFrame], list[dict[str, Any]]]:
    """The typed frame of each covariate's rows, and a problem for each bad value."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_name[row.name].append(i)
    frames, problems = [], []
    for name, places in by_name.items():
        columns = {"unique_id": [series] * len(places), name: [rows[i].value for i in places]}
        if where == "values":
            columns["ds"] = [as_utc(rows[i].ts).replace(tzinfo=None) for i in places]
        good, bad = validate_covariates(pd.DataFrame(columns), [declared[name]])
        for place, reason in bad["reason"].items():
            problems.append(
                row_problem(("body", where, places[place], "value"), "invalid_covariate", reason)
            )
        frames.append(good)
    return frames, problems


def _off_grid(
    session: Session, rows: Sequence[CovariateValueIn], dataset: Dataset, series: Series | None
) -> list[dict[str, Any]]:
    if dataset.frequency is None or not rows:
        return []
    first = select(func.min(Observation.ts))
    anchor = session.scalar(
        first.where(Observation.series_id == series.id)
        if series is not None
        else first.join(Series, Series.id == Observation.series_id).where(
            Series.dataset_id == dataset.id
        )
    )
    stamps = [as_utc(row.ts) for row in rows]
    return [
        row_problem(
            ("body", "values", i, "ts"),
            "off_grid",
            f"{stamps[i].isoformat()} is off the grid of dataset {dataset.name!r} "
            f"(frequency {dataset.frequency})",
        )
        for i in off_grid_positions(stamps, dataset.frequency, as_utc(anchor) if anchor else None)
    ]


def store_series_covariates(
    session: Session,
    series: Series,
    dataset: Dataset,
    covariates: Sequence[Covariate],
    body: SeriesCovariatesUpsert,
) -> CovariatesStored:
    """Check every value of `body` for `series`; a 422 lists each bad one, else all are
    upserted (re-sending a value updates it)."""
    declared = {c.name: c for c in covariates}
    problems = _declared_problems(body.static, "static", "static", declared)
    problems += _declared_problems(body.values, "values", "known_in_advance", declared)
    if problems:
        raise reject_rows("undeclared covariates", problems)
    static, bad_static = _value_problems(body.static, "static", declared, series.name)
    values, bad_values = _value_problems(body.values, "values", declared, series.name)
    problems = bad_static + bad_values + _off_grid(session, body.values, dataset, series)
    if problems:
        raise reject_rows("invalid covariate values", problems)
    stored = CovariatesStored.nothing()
    for frame in [*static, *values]:
        stored += store_covariates(session, frame, covariates, dataset_id=dataset.id)
    return stored


def store_dataset_covariates(
    session: Session,
    dataset: Dataset,
    covariates: Sequence[Covariate],
    body: DatasetCovariatesUpsert,
) -> CovariatesStored:
    """Check every known-in-advance value of `body`, for every series of `dataset`; a 422
    lists each bad one, else all are upserted (re-sending a value updates it)."""
    declared = {c.name: c for c in covariates}
    problems = _declared_problems(body.values, "values", "known_in_advance", declared)
    if problems:
        raise reject_rows("undeclared covariates", problems)
    values, problems = _value_problems(body.values, "values", declared, None)
    problems += _off_grid(session, body.values, dataset, None)
    if problems:
        raise reject_rows("invalid covariate values", problems)
    stored = CovariatesStored.nothing()
    for frame in values:
        stored += store_covariates(session, frame, covariates, dataset_id=dataset.id)
    return stored
