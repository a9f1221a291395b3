"""A what-if scenario run end to end: the baseline forecast of the scenario's series (the
stored future covariate values), the changed values (`core.scenarios`) passed as `future` for
the scenario forecast, both by the dataset's champion, and their difference. Nothing is
stored here: the routes keep the run with the scenario."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Caller
from api.errors import ApiError
from api.forecasting import model_forecasts
from api.metrics import ApiMetrics
from api.model_server import ModelServerClient
from api.visibility import check_series_visible
from core.covariates import ID_COL, TIME_COL, Covariate, join_covariates
from core.db.repositories.covariates import read_covariate_values
from core.db.repositories.datasets import dataset_config
from core.db.tables import Dataset, Series
from core.db.types import utc_now
from core.scenarios import (
    ScenarioError,
    ScenarioSpec,
    apply_changes,
    changed_covariates,
    check_within_horizon,
    compare_forecasts,
    parse_scenario,
)

__all__ = ["parsed_scenario", "run_scenario"]


def parsed_scenario(spec: dict[str, Any], covariates: list[Covariate]) -> ScenarioSpec:
    """`core.scenarios.parse_scenario`, its refusal as a 422 `invalid_scenario`."""
    try:
        return parse_scenario(spec, covariates)
    except ScenarioError as error:
        raise ApiError(422, "invalid_scenario", str(error)) from error


def _series_names(session: Session, caller: Caller, dataset: Dataset, ids: tuple[int, ...]):
    """The scenario's series by id: each must be one of the dataset's (404 for one that does
    not exist or the key may not see, 422 for one of another dataset)."""
    check_series_visible(session, caller, ids)
    query = select(Series.id, Series.dataset_id, Series.name).where(Series.id.in_(ids))
    found = {series_id: (owner, name) for series_id, owner, name in session.execute(query)}
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise ApiError(404, "not_found", f"series ids {unknown} do not exist")
    others = [i for i in ids if found[i][0] != dataset.id]
    if others:
        raise ApiError(
            422, "invalid_scenario", f"series {others} are not of dataset {dataset.name!r}"
        )
    return {i: found[i][1] for i in ids}


def _naive_utc(stamps: pd.Series) -> pd.Series:
    return pd.to_datetime(stamps, utc=True).dt.tz_localize(None)


def _future(
    session: Session, dataset: Dataset, spec: ScenarioSpec, points: dict[str, list[dict]]
) -> pd.DataFrame:
    """The changed values of the scenario's series on the dates the changes cover: the
    values the baseline uses (a series' own stored value, else the dataset's for every
    series) with the changes applied; `unique_id`, `ds` and one column per changed covariate."""
    covariates = dataset_config(dataset).covariates
    keys = pd.DataFrame(
        [(name, p["ds"]) for name, series in points.items() for p in series],
        columns=[ID_COL, TIME_COL],
    )
    keys[TIME_COL] = _naive_utc(keys[TIME_COL])
    try:
        check_within_horizon(spec.changes, keys[TIME_COL])
        stored = read_covariate_values(
            session,
            covariates,
            dataset_id=dataset.id,
            series_names=list(points),
            start=keys[TIME_COL].min().to_pydatetime(),
            end=keys[TIME_COL].max().to_pydatetime(),
        )
        names = changed_covariates(spec.changes)
        baseline = join_covariates(keys, covariates, values=stored)[[ID_COL, TIME_COL, *names]]
        changed = apply_changes(baseline, spec.changes, covariates)
    except ScenarioError as error:
        raise ApiError(422, "invalid_scenario", str(error)) from error
    covered = pd.Series(False, index=changed.index)
    for change in spec.changes:
        covered |= change.covers(changed[TIME_COL])
    return changed[covered].reset_index(drop=True)


def run_scenario(
    session: Session,
    client: ModelServerClient,
    metrics: ApiMetrics,
    caller: Caller,
    dataset: Dataset,
    spec: ScenarioSpec,
    *,
    history_points: int,
) -> dict[str, Any]:
    """Forecast the scenario's series with and without its changes; the run as JSON (as
    `api.schemas.scenarios.ScenarioRunPublic` shows it). 503 / 422 as forecasts answer them;
    409 when the champion changed between the two forecasts (run it again)."""
    names = _series_names(session, caller, dataset, spec.series)
    ids = list(spec.series)
    options = {
        "request_id": caller.request_id,
        "series_ids": ids,
        "horizon": spec.horizon,
        "levels": None,
        "history_points": history_points,
    }
    baseline = model_forecasts(session, client, metrics, **options)
    future = _future(session, dataset, spec, {names[i]: baseline.points[i] for i in ids})
    scenario = model_forecasts(session, client, metrics, **options, future=future)
    if scenario.model_version != baseline.model_version:
        raise ApiError(
            409,
            "champion_changed",
            f"the champion changed from version {baseline.model_version} to "
            f"{scenario.model_version} during the run: run the scenario again",
        )
    series = []
    for series_id in ids:
        points, total = compare_forecasts(baseline.points[series_id], scenario.points[series_id])
        for point in points:
            point["ds"] = pd.Timestamp(point["ds"]).isoformat()
        series.append(
            {"series_id": series_id, "series": names[series_id], "points": points,
             "total_difference": total}
        )  # fmt: skip
    return {
        "model_name": baseline.model_name,
        "model_version": baseline.model_version,
        "horizon": baseline.horizon,
        "levels": baseline.levels,
        "ran_at": utc_now().isoformat(),
        "series": series,
        "total_difference": math.fsum(s["total_difference"] for s in series),
    }
