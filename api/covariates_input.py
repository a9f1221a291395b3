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
from api.schemas.forecasts import FutureCovariateIn
from core.covariates import Covariate, validate_covariates
from core.datasets.frequency import off_grid_positions
from core.db.repositories.covariates import CovariatesStored, store_covariates
from core.db.tables import Dataset, Observation, Series
from core.db.types import as_utc

__all__ = ["future_override", "store_dataset_covariates", "store_series_covariates"]


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
    series: Sequence[str | None],
) -> tuple[list[pd.DataFrame], list[dict[str, Any]]]:
    """The typed frame of each covariate's rows (`series`: each row's series name, None for
    every series), and a problem for each bad value."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_name[row.name].append(i)
    frames, problems = [], []
    for name, places in by_name.items():
        columns = {"unique_id": [series[i] for i in places], name: [rows[i].value for i in places]}
        if where != "static":
            columns["ds"] = [as_utc(rows[i].ts).replace(tzinfo=None) for i in places]
        good, bad = validate_covariates(pd.DataFrame(columns), [declared[name]])
        for place, reason in bad["reason"].items():
            problems.append(
                row_problem(("body", where, places[place], "value"), "invalid_covariate", reason)
            )
        frames.append(good)
    return frames, problems


def _off_grid(
    session: Session,
    rows: Sequence[CovariateValueIn],
    series_ids: Sequence[int | None],
    dataset: Dataset,
    where: str = "values",
) -> list[dict[str, Any]]:
    """A problem for each row whose timestamp is off the dataset's grid (`series_ids`: the
    series each row's grid is anchored on, its first stored observation; None: the dataset's
    first stored observation)."""
    if dataset.frequency is None or not rows:
        return []
    places: dict[int | None, list[int]] = defaultdict(list)
    for i, series_id in enumerate(series_ids):
        places[series_id].append(i)
    problems = []
    for series_id, positions in places.items():
        first = select(func.min(Observation.ts))
        anchor = session.scalar(
            first.where(Observation.series_id == series_id)
            if series_id is not None
            else first.join(Series, Series.id == Observation.series_id).where(
                Series.dataset_id == dataset.id
            )
        )
        stamps = [as_utc(rows[i].ts) for i in positions]
        off = off_grid_positions(stamps, dataset.frequency, as_utc(anchor) if anchor else None)
        problems += [
            row_problem(
                ("body", where, positions[j], "ts"),
                "off_grid",
                f"{stamps[j].isoformat()} is off the grid of dataset {dataset.name!r} "
                f"(frequency {dataset.frequency})",
            )
            for j in off
        ]
    return sorted(problems, key=lambda p: p["loc"][2])


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
    static, bad_static = _value_problems(
        body.static, "static", declared, [series.name] * len(body.static)
    )
    values, bad_values = _value_problems(
        body.values, "values", declared, [series.name] * len(body.values)
    )
    anchors = [series.id] * len(body.values)
    problems = bad_static + bad_values + _off_grid(session, body.values, anchors, dataset)
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
    everyone = [None] * len(body.values)
    values, problems = _value_problems(body.values, "values", declared, everyone)
    problems += _off_grid(session, body.values, everyone, dataset)
    if problems:
        raise reject_rows("invalid covariate values", problems)
    stored = CovariatesStored.nothing()
    for frame in values:
        stored += store_covariates(session, frame, covariates, dataset_id=dataset.id)
    return stored


def future_override(
    session: Session,
    dataset: Dataset,
    covariates: Sequence[Covariate],
    names: dict[int, str],
    rows: Sequence[FutureCovariateIn],
) -> pd.DataFrame:
    """The future values a forecast request sends for the series `names` (id -> name) as an
    override frame: `unique_id` (a series name, None for every series), `ds` and a column per
    covariate (NaN where a row gives another). Each row must name a series of the request, a
    known-in-advance covariate of the dataset and a value of its type on the dataset's grid;
    a 422 lists every bad row."""
    declared = {c.name: c for c in covariates}
    problems = _declared_problems(rows, "future", "known_in_advance", declared)
    problems += [
        row_problem(
            ("body", "future", i, "series_id"),
            "unknown_series",
            f"series {row.series_id} is not one of the request's series_ids",
        )
        for i, row in enumerate(rows)
        if row.series_id is not None and row.series_id not in names
    ]
    if problems:
        raise reject_rows("invalid future covariate values", problems)
    series = [None if row.series_id is None else names[row.series_id] for row in rows]
    frames, problems = _value_problems(rows, "future", declared, series)
    first = next(iter(names))
    anchors = [first if row.series_id is None else row.series_id for row in rows]
    problems += _off_grid(session, rows, anchors, dataset, "future")
    if problems:
        raise reject_rows("invalid future covariate values", problems)
    return pd.concat(frames, ignore_index=True)
