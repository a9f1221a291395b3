"""Covariates: what a dataset knows besides its own past, declared, validated and turned into
features for the LightGBM member.

A covariate has a name, a type (`numeric`, `boolean`, `categorical`) and a kind:

- `static`: one value per series (store, region, size);
- `known_in_advance`: a value per series (or for all series) and timestamp, future dates
  included (price, promotion flag, planned event, a weather forecast);
- `calendar`: holidays of a country (and subdivision) from the `holidays` package; no values
  are needed, the features come from the timestamps: whether the date is a holiday and the
  days to the next and from the last one.

The declarations, `validate_covariates` (the good rows and the bad ones with a reason) and
`require_future` (refuses a horizon whose known-in-advance values are missing, naming the
series, covariate and dates) live in `core.covariates`, the one home the dataset
configuration, the API, ingestion and the models share; they are re-exported here.
`covariate_features` turns a panel's covariate columns into model features, for training and
for the horizon.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from core.covariates import (
    ID_COL,
    KINDS,
    TIME_COL,
    TYPES,
    Covariate,
    CovariateError,
    MissingFutureCovariatesError,
    parse_covariates,
    require_future,
    validate_covariates,
)

__all__ = [
    "KINDS",
    "TYPES",
    "Covariate",
    "CovariateError",
    "MissingFutureCovariatesError",
    "covariate_features",
    "feature_group",
    "parse_covariates",
    "require_future",
    "validate_covariates",
]

_LISTED = 5


# -- features ---------------------------------------------------------------------------------
_HOLIDAY_NAME_YEARS = range(1950, 2076)


def _holiday_name(name: str) -> str:
    """A holiday's name without the "(observed)" of the day it is observed on."""
    return name.replace("(observed)", "").replace("(Observed)", "").strip()


@functools.lru_cache(maxsize=32)
def _holiday_names(country: str, subdivision: str | None) -> tuple[str, ...]:
    """Every holiday name of the country over many years, sorted: the codes of `_which`
    are the same for training and forecasting, whatever dates either covers."""
    import holidays

    calendar = holidays.country_holidays(country, subdiv=subdivision, years=_HOLIDAY_NAME_YEARS)
    return tuple(sorted({_holiday_name(n) for n in calendar.values()}))


def _holidays(
    covariate: Covariate, first: pd.Timestamp, last: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray]:
    """(dates, name codes) of the holidays from a year before `first` to a year after `last`."""
    import holidays

    years = range(first.year - 1, last.year + 2)  # a year each side: the nearest one is found
    calendar = holidays.country_holidays(
        covariate.country, subdiv=covariate.subdivision, years=years
    )
    names = _holiday_names(covariate.country, covariate.subdivision)
    days = sorted(calendar)
    # a date with two holidays gets the first name in code order
    codes = [min(names.index(_holiday_name(n)) for n in calendar.get_list(d)) for d in days]
    return np.array(days, dtype="datetime64[D]"), np.array(codes, dtype="float64")


def _calendar_columns(covariate: Covariate, ds: pd.Series) -> dict[str, np.ndarray]:
    """Holiday flag, days to the next / from the last holiday of each timestamp's date, and
    which holiday is the nearest (a code of its name; the next one on a tie)."""
    days = ds.to_numpy().astype("datetime64[D]")
    dates, codes = _holidays(covariate, ds.min(), ds.max())
    after = np.minimum(np.searchsorted(dates, days, side="left"), len(dates) - 1)
    to = (dates[after] - days).astype("int64").astype("float64")
    before = np.maximum(np.searchsorted(dates, days, side="right") - 1, 0)
    since = (days - dates[before]).astype("int64").astype("float64")
    return {
        covariate.name: (to == 0).astype("float64"),
        f"{covariate.name}_days_to": to,
        f"{covariate.name}_days_from": since,
        f"{covariate.name}_which": np.where(to <= since, codes[after], codes[before]),
    }


def seasonal_lag_name(name: str, lag: int) -> str:
    return f"{name}_lag{lag}"


def covariate_features(
    panel: pd.DataFrame,
    covariates: Sequence[Covariate],
    *,
    categories: Mapping[str, Sequence[str]] | None = None,
    seasonal_lag: int | None = None,
) -> pd.DataFrame:
    """`panel` (sorted by series then time, with the declared static and known-in-advance
    columns) with every covariate as float model features.

    Categorical values become codes of `categories[name]` (or of the declaration's); a value
    outside them is an error. Calendar covariates add their three columns. With
    `seasonal_lag`, each known-in-advance covariate also gets its value that many periods
    earlier in the same series (`<name>_lag<k>`): a seasonally differenced target moves with
    the covariate's change, so the model sees both ends of it.
    """
    out = panel.copy()
    for covariate in covariates:
        name = covariate.name
        if covariate.kind == "calendar":
            for column, values in _calendar_columns(covariate, out[TIME_COL]).items():
                out[column] = values
            continue
        if name not in out.columns:
            raise CovariateError(f"the panel has no column for covariate {name!r}")
        if covariate.type == "categorical":
            known = list((categories or {}).get(name) or covariate.categories)
            values = out[name].astype(str)
            unknown = sorted(set(values.unique()) - set(known))
            if unknown:
                raise CovariateError(
                    f"covariate {name!r}: categories {unknown[:_LISTED]} unseen in training "
                    f"(known: {known[:20]})"
                )
            out[name] = pd.Categorical(values, categories=known).codes.astype("float64")
        else:
            out[name] = pd.to_numeric(out[name], errors="raise").astype("float64")
        if covariate.dynamic and seasonal_lag:
            out[seasonal_lag_name(name, seasonal_lag)] = out.groupby(ID_COL, sort=False)[
                name
            ].shift(seasonal_lag)
    return out


def feature_group(
    feature: str, covariates: Sequence[Covariate], date_features: Iterable[str]
) -> str:
    """The explanation group a model feature belongs to: `history` (lags and rolling
    statistics of the target), `calendar` (date features), or the covariate's name."""
    for covariate in covariates:
        name = covariate.name
        if feature == name or (feature.startswith(name + "_") and _derived(feature, name)):
            return name
    if feature in set(date_features):
        return "calendar"
    return "history"


def _derived(feature: str, name: str) -> bool:
    suffix = feature[len(name) + 1 :]
    return suffix in ("days_to", "days_from", "which") or (
        suffix.startswith("lag") and suffix[3:].isdigit()
    )
