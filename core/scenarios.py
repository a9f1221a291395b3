"""What-if scenarios: a named change of known-in-advance covariates for chosen series and
dates, checked against a dataset's declarations, applied to a future frame, and the baseline
and scenario forecasts compared point by point.

A change is `{covariate, start, end, op, value}`: between `start` and `end` (inclusive; a
date without a time covers its whole day) the covariate is `set` to `value` (a number, true /
false for a boolean one: a promotion switched on or off, or a known category), `scale`d by it
or has it `add`ed (numeric covariates only). Changes apply in their order, so two changes of
one covariate on the same dates compose. Nothing here reads a database or calls a model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from core.covariates import ID_COL, TIME_COL, Covariate

__all__ = [
    "OPS",
    "Change",
    "ScenarioError",
    "ScenarioSpec",
    "apply_changes",
    "changed_covariates",
    "check_within_horizon",
    "compare_forecasts",
    "parse_scenario",
]

OPS = ("set", "scale", "add")
_BOOLEANS = {True: 1.0, False: 0.0}


class ScenarioError(ValueError):
    """A scenario that cannot be run as written; the message says which part and why."""


@dataclass(frozen=True)
class Change:
    covariate: str
    start: pd.Timestamp  # naive UTC, inclusive
    end: pd.Timestamp  # naive UTC, inclusive
    op: str
    value: float | str  # a boolean as 1.0 / 0.0, a category as text

    def covers(self, stamps: pd.Series) -> pd.Series:
        return (stamps >= self.start) & (stamps <= self.end)


@dataclass(frozen=True)
class ScenarioSpec:
    name: str
    series: tuple[int, ...]
    horizon: int | None
    changes: tuple[Change, ...]


def _moment(raw: Any, where: str, *, end: bool) -> pd.Timestamp:
    """A naive UTC timestamp; a date alone (text `YYYY-MM-DD` or a `date`) as an `end` covers
    its whole day."""
    whole_day = isinstance(raw, date) and not isinstance(raw, datetime)
    if isinstance(raw, str):
        whole_day = len(raw.strip()) == 10
    try:
        stamp = pd.Timestamp(raw)
    except (TypeError, ValueError) as error:
        raise ScenarioError(f"{where}: {raw!r} is not a date or a date-time") from error
    if pd.isna(stamp):
        raise ScenarioError(f"{where}: a date or a date-time is required")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    if end and whole_day:
        stamp = stamp + timedelta(days=1) - timedelta(microseconds=1)
    return stamp


def _value(covariate: Covariate, op: str, raw: Any, where: str) -> float | str:
    if op not in OPS:
        raise ScenarioError(f"{where}.op: {op!r} is not one of {list(OPS)}")
    if op != "set" and covariate.type != "numeric":
        raise ScenarioError(
            f"{where}.op: {covariate.name!r} is {covariate.type}; only a numeric covariate can "
            f"be changed by {op!r} (use 'set')"
        )
    if covariate.type == "boolean":
        if not isinstance(raw, bool):
            raise ScenarioError(f"{where}.value: {covariate.name!r} is boolean: give true or false")
        return _BOOLEANS[raw]
    if covariate.type == "categorical":
        if not isinstance(raw, str) or not raw:
            raise ScenarioError(
                f"{where}.value: {covariate.name!r} is categorical: give a category"
            )
        if covariate.categories and raw not in covariate.categories:
            raise ScenarioError(
                f"{where}.value: {raw!r} is not a category of {covariate.name!r} "
                f"({list(covariate.categories)})"
            )
        return raw
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ScenarioError(f"{where}.value: {raw!r} is not a finite number")
    return float(raw)


def _change(item: Mapping[str, Any], i: int, declared: dict[str, Covariate]) -> Change:
    where = f"changes[{i}]"
    name = item.get("covariate")
    covariate = declared.get(name)
    if covariate is None:
        known = sorted(c.name for c in declared.values() if c.kind == "known_in_advance")
        raise ScenarioError(
            f"{where}.covariate: {name!r} is not a declared covariate (known in advance: {known})"
        )
    if covariate.kind != "known_in_advance":
        raise ScenarioError(
            f"{where}.covariate: {name!r} is a {covariate.kind} covariate; a scenario changes "
            "known-in-advance covariates only"
        )
    start = _moment(item.get("start"), f"{where}.start", end=False)
    end = _moment(item.get("end"), f"{where}.end", end=True)
    if start > end:
        raise ScenarioError(f"{where}: start {start} is after end {end}")
    op = item.get("op", "set")
    return Change(name, start, end, op, _value(covariate, op, item.get("value"), where))


def parse_scenario(spec: Mapping[str, Any], covariates: Sequence[Covariate]) -> ScenarioSpec:
    """The scenario `spec` (name, series ids, optional horizon, changes) checked against the
    dataset's declared `covariates`; `ScenarioError` names the first part that is wrong."""
    name = str(spec.get("name") or "").strip()
    if not name:
        raise ScenarioError("name: a scenario needs a name")
    series = tuple(spec.get("series") or ())
    if not series:
        raise ScenarioError("series: name at least one series id")
    if len(set(series)) != len(series):
        raise ScenarioError(f"series: {list(series)} names a series twice")
    horizon = spec.get("horizon")
    if horizon is not None and (isinstance(horizon, bool) or not isinstance(horizon, int)
                                or horizon < 1):  # fmt: skip
        raise ScenarioError(f"horizon: {horizon!r} is not a positive number of steps")
    items = spec.get("changes") or ()
    if not items:
        raise ScenarioError("changes: a scenario changes at least one covariate")
    declared = {c.name: c for c in covariates}
    changes = tuple(_change(item, i, declared) for i, item in enumerate(items))
    return ScenarioSpec(name, series, horizon, changes)


def changed_covariates(changes: Sequence[Change]) -> list[str]:
    """The covariates the changes touch, in their first change's order."""
    return list(dict.fromkeys(change.covariate for change in changes))


def check_within_horizon(changes: Sequence[Change], stamps: pd.Series) -> None:
    """Every change's dates lie within the days of the forecast dates `stamps` (the horizon
    of the scenario's series) and cover at least one of them; `ScenarioError` otherwise."""
    first, last = pd.Timestamp(stamps.min()), pd.Timestamp(stamps.max())
    earliest = first.normalize()
    latest = last.normalize() + timedelta(days=1) - timedelta(microseconds=1)
    for i, change in enumerate(changes):
        inside = earliest <= change.start and change.end <= latest
        if not inside or not change.covers(stamps).any():
            raise ScenarioError(
                f"changes[{i}]: {change.start} to {change.end} is not within the horizon "
                f"({first} to {last})"
            )


def apply_changes(
    future: pd.DataFrame, changes: Sequence[Change], covariates: Sequence[Covariate]
) -> pd.DataFrame:
    """`future` (`unique_id`, `ds`, one column per changed covariate: the values the baseline
    forecast uses) with the changes applied in order; a value to scale or add to that is
    missing raises `ScenarioError` naming the series and dates (nothing is filled in)."""
    by_name = {c.name: c for c in covariates}
    out = future.copy()
    stamps = pd.to_datetime(out[TIME_COL])
    for i, change in enumerate(changes):
        if change.covariate not in out.columns:
            raise ScenarioError(f"changes[{i}]: the future frame has no {change.covariate!r}")
        rows = change.covers(stamps)
        column = out[change.covariate]
        if change.op == "set":
            if by_name[change.covariate].type == "categorical":
                out[change.covariate] = column.astype(object)
            out.loc[rows, change.covariate] = change.value
            continue
        missing = rows & column.isna()
        if missing.any():
            where = out.loc[missing, [ID_COL, TIME_COL]].head(5)
            shown = ", ".join(f"{s} at {d}" for s, d in where.itertuples(index=False))
            raise ScenarioError(
                f"changes[{i}]: no {change.covariate!r} value stored to {change.op} ({shown}); "
                "store the future values first or use 'set'"
            )
        if change.op == "scale":
            out.loc[rows, change.covariate] = column[rows] * change.value
        else:
            out.loc[rows, change.covariate] = column[rows] + change.value
    return out


def _bounds(point: Mapping[str, Any]) -> dict[str, Any]:
    return {"yhat": point["yhat"], "lower": point["lower"], "upper": point["upper"]}


def compare_forecasts(
    baseline: Sequence[Mapping[str, Any]], scenario: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], float]:
    """One series' baseline and scenario points (`ds`, `yhat`, `lower`, `upper`) side by side
    with `difference` (scenario minus baseline) per point, and their total difference."""
    if [p["ds"] for p in baseline] != [p["ds"] for p in scenario]:
        raise ValueError("the baseline and the scenario forecast different dates")
    points = [
        {
            "ds": base["ds"],
            "baseline": _bounds(base),
            "scenario": _bounds(changed),
            "difference": changed["yhat"] - base["yhat"],
        }
        for base, changed in zip(baseline, scenario, strict=True)
    ]
    return points, math.fsum(p["difference"] for p in points)
