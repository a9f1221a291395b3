"""Covariates a dataset declares, and the check of their values: one home for both, below
every part that uses them (the dataset's configuration, the API, ingestion, the models).

A covariate has a name, a type (`numeric`, `boolean`, `categorical`) and a kind:

- `static`: one value per series (store, region, size);
- `known_in_advance`: a value per series (or for all series) and timestamp, future dates
  included (price, promotion flag, planned event, a weather forecast);
- `calendar`: holidays of a country (and subdivision) from the `holidays` package; no values
  are needed, the features come from the timestamps.

`validate_covariates` checks a covariate frame against the declarations and returns the good
rows and the bad ones with a reason (never dropping a row silently); `require_future` takes
the known-in-advance values of a forecast horizon from a frame, refusing one that lacks any
(`MissingFutureCovariatesError`, naming the series, covariate and dates): the model checks
it when it forecasts, the API before it calls the model server. Turning covariates into
model features is the models' job (`models.covariates`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ID_COL",
    "KINDS",
    "RESERVED_NAMES",
    "TIME_COL",
    "TYPES",
    "Covariate",
    "CovariateError",
    "MissingFutureCovariatesError",
    "describe_missing",
    "join_covariates",
    "parse_covariates",
    "require_future",
    "validate_covariates",
]

TYPES = ("numeric", "boolean", "categorical")
KINDS = ("static", "known_in_advance", "calendar")
ID_COL, TIME_COL = "unique_id", "ds"
RESERVED_NAMES = {"unique_id", "ds", "y", "cutoff", "window", "yhat"}
_BOOLEAN_VALUES = {True: 1.0, False: 0.0, "1": 1.0, "0": 0.0, "true": 1.0, "false": 0.0}
_LISTED = 5


class CovariateError(ValueError):
    """A covariate declaration or frame that cannot be used as it is."""


class MissingFutureCovariatesError(CovariateError):
    """A forecast horizon without the known-in-advance values it needs.

    `missing` holds one record per (series, covariate) with the dates that lack a value.
    """

    def __init__(self, missing: list[dict[str, Any]]):
        self.missing = missing
        shown = describe_missing(missing, lambda m: repr(m["unique_id"]), " series/covariates")
        super().__init__(f"missing future covariate values: {shown}")


def describe_missing(
    missing: Sequence[Mapping[str, Any]],
    series: Callable[[Mapping[str, Any]], str],
    more_of: str = "",
) -> str:
    """One line naming the first few (series, covariate) records of `missing` and their first
    dates; `series(record)` says how a record's series is named."""
    shown = "; ".join(
        f"series {series(m)}, covariate {m['covariate']!r}: "
        + ", ".join(m["dates"][:_LISTED])
        + (f" (+{len(m['dates']) - _LISTED} more)" if len(m["dates"]) > _LISTED else "")
        for m in missing[:_LISTED]
    )
    more = f" (+{len(missing) - _LISTED} more{more_of})" if len(missing) > _LISTED else ""
    return f"{shown}{more}"


@dataclass(frozen=True)
class Covariate:
    """One declared covariate."""

    name: str
    type: str = "numeric"
    kind: str = "known_in_advance"
    # calendar: the `holidays` country code and optional subdivision
    country: str | None = None
    subdivision: str | None = None
    # categorical: the known categories (empty: whatever the training data holds)
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.name, str) or not self.name.isidentifier():
            problems.append(f"name must be an identifier, got {self.name!r}")
        elif self.name in RESERVED_NAMES:
            problems.append(f"name {self.name!r} is reserved")
        if self.type not in TYPES:
            problems.append(f"type must be one of {TYPES}, got {self.type!r}")
        if self.kind not in KINDS:
            problems.append(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "calendar":
            if not self.country:
                problems.append("a calendar covariate needs a country")
            else:
                import holidays

                if self.country not in holidays.list_supported_countries():
                    problems.append(f"unknown holidays country {self.country!r}")
                elif self.subdivision is not None:
                    subdivisions = holidays.list_supported_countries()[self.country]
                    if self.subdivision not in subdivisions:
                        problems.append(
                            f"unknown subdivision {self.subdivision!r} of {self.country}"
                        )
            if self.type != "boolean":
                problems.append("a calendar covariate is boolean (holiday or not)")
        elif self.country is not None or self.subdivision is not None:
            problems.append("only a calendar covariate takes a country and subdivision")
        if self.categories and self.type != "categorical":
            problems.append("only a categorical covariate takes categories")
        if problems:
            raise CovariateError(f"covariate {self.name!r}: " + "; ".join(problems))
        object.__setattr__(self, "categories", tuple(str(c) for c in self.categories))

    @classmethod
    def calendar(cls, name: str, country: str, subdivision: str | None = None) -> Covariate:
        return cls(name, "boolean", "calendar", country=country, subdivision=subdivision)

    @property
    def dynamic(self) -> bool:
        """Whether its values vary over time and must be known for every forecast date."""
        return self.kind == "known_in_advance"

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["categories"] = list(self.categories)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Covariate:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise CovariateError(f"unknown covariate fields {unknown}")
        return cls(**{**data, "categories": tuple(data.get("categories") or ())})


def parse_covariates(items: Iterable[Covariate | Mapping[str, Any]]) -> tuple[Covariate, ...]:
    """Declarations from `Covariate`s or their dicts; names must be unique."""
    covariates = tuple(c if isinstance(c, Covariate) else Covariate.from_dict(c) for c in items)
    names = [c.name for c in covariates]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise CovariateError(f"covariates declared twice: {duplicated}")
    return covariates


# -- validation -------------------------------------------------------------------------------
def _typed(column: pd.Series, covariate: Covariate) -> tuple[pd.Series, pd.Series]:
    """(typed values, reason per row or None) for one covariate column."""
    reasons = pd.Series(None, index=column.index, dtype=object)
    if covariate.type == "numeric":
        values = pd.to_numeric(column, errors="coerce").astype("float64")
        reasons[values.isna() & column.notna()] = f"{covariate.name}: not a number"
        reasons[column.isna()] = f"{covariate.name}: missing value"
        reasons[np.isinf(values)] = f"{covariate.name}: not finite"
        return values, reasons
    if covariate.type == "boolean":
        keys = column.map(lambda v: v.strip().lower() if isinstance(v, str) else v)
        values = keys.map(lambda v: _BOOLEAN_VALUES.get(v, np.nan) if _hashable(v) else np.nan)
        values = values.astype("float64")
        reasons[values.isna()] = f"{covariate.name}: not a boolean (true/false, 1/0)"
        reasons[column.isna()] = f"{covariate.name}: missing value"
        return values, reasons
    values = column.astype(object).where(column.isna(), column.astype(str))
    reasons[column.isna()] = f"{covariate.name}: missing value"
    if covariate.categories:
        unknown = column.notna() & ~values.isin(covariate.categories)
        reasons[unknown] = (
            f"{covariate.name}: unknown category (known: {list(covariate.categories)})"
        )
    return values, reasons


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def validate_covariates(
    frame: pd.DataFrame, covariates: Sequence[Covariate]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check a covariate frame against the declarations: `(good, bad)`.

    `frame` has `ds` (absent for static covariates only), optionally `unique_id` (absent or
    null: the row applies to every series) and one column per declared static or
    known-in-advance covariate. Columns that are not declared (or are calendar covariates,
    which take no values) are an error for the whole frame. Row by row: a timestamp that does
    not parse, a value that is missing, of the wrong type, not finite or an unknown category,
    a repeated (series, timestamp) and a static covariate with two values for one series make
    a bad row; `bad` holds those rows as they came, with a `reason`. `good` holds the others,
    typed: numeric and boolean as float64 (boolean as 0/1), categorical as str.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    by_name = {c.name: c for c in covariates}
    valued = [c for c in frame.columns if c not in (ID_COL, TIME_COL)]
    undeclared = sorted(c for c in valued if c not in by_name)
    if undeclared:
        raise CovariateError(
            f"undeclared covariate columns {undeclared}; declared: {sorted(by_name)}"
        )
    calendar = sorted(c for c in valued if by_name[c].kind == "calendar")
    if calendar:
        raise CovariateError(f"calendar covariates {calendar} take no values: they come from ds")
    if not valued:
        raise CovariateError("the frame holds no covariate column")
    dynamic = [c for c in valued if by_name[c].dynamic]
    if dynamic and TIME_COL not in frame.columns:
        raise CovariateError(f"known-in-advance covariates {dynamic} need a ds column")

    raw = frame.reset_index(drop=True)
    good = raw.copy()
    reasons: list[pd.Series] = []
    if ID_COL in raw.columns:
        good[ID_COL] = raw[ID_COL].astype(object).where(raw[ID_COL].isna(), raw[ID_COL].astype(str))
    if TIME_COL in raw.columns:
        good[TIME_COL] = pd.to_datetime(raw[TIME_COL], errors="coerce")
        reasons.append(pd.Series(np.where(good[TIME_COL].isna(), "ds: not a timestamp", None)))
    for name in valued:
        good[name], why = _typed(raw[name], by_name[name])
        reasons.append(why)
    static = [c for c in valued if by_name[c].kind == "static"]
    if static and ID_COL in raw.columns:
        for name in static:
            several = good.groupby(ID_COL, dropna=False)[name].transform("nunique") > 1
            reasons.append(
                pd.Series(np.where(several, f"{name}: several values for one series", None))
            )
    keys = [c for c in (ID_COL, TIME_COL) if c in raw.columns]
    if keys:
        repeated = good.duplicated(keys, keep=False)
        reasons.append(pd.Series(np.where(repeated, "repeated " + "/".join(keys), None)))
    reason = pd.Series(None, index=raw.index, dtype=object)
    for why in reasons:
        why.index = raw.index
        reason = reason.where(reason.notna(), why)  # the first reason found for each row
    bad_rows = reason.notna()
    bad = raw.loc[bad_rows].assign(reason=reason[bad_rows])
    return good.loc[~bad_rows].reset_index(drop=True), bad


# -- joining stored values to a history --------------------------------------------------------
def join_covariates(
    panel: pd.DataFrame,
    covariates: Sequence[Covariate],
    *,
    static: pd.DataFrame | None = None,
    values: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """`panel` (`unique_id`, `ds`, `y`, ...) with one column per declared static and
    known-in-advance covariate, as a model fits on it and forecasts from it.

    `static` holds `unique_id` and static columns; `values` holds `unique_id`, `ds` and
    known-in-advance columns (as `core.db.repositories.covariates` reads them). A row of
    `values` with a null `unique_id` applies to every series; a series' own value wins.
    A (series, date) without a value stays missing (NaN/None): nothing is filled in, the
    caller decides (the model refuses such history rows, naming them). Rows and their order
    are the panel's; a dataset without such covariates gets the panel back unchanged.
    """
    static_names = [c.name for c in covariates if c.kind == "static"]
    dynamic_names = [c.name for c in covariates if c.dynamic]
    if not static_names and not dynamic_names:
        return panel
    out = panel.reset_index(drop=True).copy()
    if static_names:
        table = static if static is not None else pd.DataFrame(columns=[ID_COL, *static_names])
        table = table.reindex(columns=[ID_COL, *static_names]).drop_duplicates(ID_COL, keep="last")
        table = table.assign(unique_id=table[ID_COL].astype(str)).set_index(ID_COL)
        joined = out[[ID_COL]].astype({ID_COL: str}).join(table, on=ID_COL)
        for name in static_names:
            out[name] = joined[name].to_numpy()
    if dynamic_names:
        table = values if values is not None else pd.DataFrame(columns=[ID_COL, TIME_COL])
        table = table.reindex(columns=[ID_COL, TIME_COL, *dynamic_names])
        table = table.assign(ds=pd.to_datetime(table[TIME_COL]))
        own = table[table[ID_COL].notna()].assign(unique_id=lambda f: f[ID_COL].astype(str))
        own = own.drop_duplicates([ID_COL, TIME_COL], keep="last")
        shared = table[table[ID_COL].isna()].drop(columns=ID_COL)
        shared = shared.drop_duplicates([TIME_COL], keep="last")
        keys = pd.DataFrame(
            {ID_COL: out[ID_COL].astype(str).to_numpy(), TIME_COL: pd.to_datetime(out[TIME_COL])}
        )
        mine = keys.merge(own, on=[ID_COL, TIME_COL], how="left")
        everyone = keys.merge(shared, on=TIME_COL, how="left")
        for name in dynamic_names:
            column = mine[name].where(mine[name].notna(), everyone[name])
            out[name] = column.to_numpy()
    return out


# -- the horizon's known-in-advance values ------------------------------------------------------
def require_future(
    future: pd.DataFrame | None,
    expected: pd.DataFrame,
    covariates: Sequence[Covariate],
) -> pd.DataFrame:
    """The known-in-advance values of every (series, date) in `expected` from `future`.

    `future` rows with a null or absent `unique_id` apply to every series; a series' own row
    wins. Raises `MissingFutureCovariatesError` naming each series, covariate and the dates
    without a value; nothing is filled in.
    """
    dynamic = [c.name for c in covariates if c.dynamic]
    out = expected[[ID_COL, TIME_COL]].reset_index(drop=True)
    if not dynamic:
        return out
    if future is None:
        future = pd.DataFrame(columns=[ID_COL, TIME_COL, *dynamic])
    absent = [c for c in (TIME_COL, *dynamic) if c not in future.columns]
    if absent:
        future = future.assign(**{c: np.nan for c in absent if c != TIME_COL})
        if TIME_COL in absent:
            future = future.assign(ds=pd.NaT)
    future = future.assign(ds=pd.to_datetime(future[TIME_COL]))
    if ID_COL in future.columns:
        own = future[future[ID_COL].notna()].assign(unique_id=lambda f: f[ID_COL].astype(str))
        shared = future[future[ID_COL].isna()].drop(columns=ID_COL)
    else:
        own, shared = future.iloc[:0].assign(unique_id=pd.Series(dtype=str)), future
    own = own.drop_duplicates([ID_COL, TIME_COL], keep="last")
    shared = shared.drop_duplicates([TIME_COL], keep="last")
    merged = out.merge(own[[ID_COL, TIME_COL, *dynamic]], on=[ID_COL, TIME_COL], how="left")
    fallback = out.merge(shared[[TIME_COL, *dynamic]], on=TIME_COL, how="left")
    missing = []
    for name in dynamic:
        merged[name] = merged[name].where(merged[name].notna(), fallback[name])
        lacking = merged[merged[name].isna()]
        for uid, rows in lacking.groupby(ID_COL, sort=True):
            dates = [str(d.date()) if d == d.normalize() else str(d) for d in rows[TIME_COL]]
            missing.append({"unique_id": uid, "covariate": name, "dates": dates})
    if missing:
        raise MissingFutureCovariatesError(missing)
    return merged
