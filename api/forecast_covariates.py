"""The covariates a forecast request sends the model server, and the check that they are all
there.

For a dataset that declares static or known-in-advance covariates, each series' history goes
to the model server with its stored values over the history (`with_stored_covariates`), its
static values, and its known-in-advance values for the horizon's dates: the stored ones, with
the values of an override frame (sent in the request, or a scenario's) in their place. A
horizon date without a value is a 422 `missing_future_covariates` naming each series (id and
name), covariate and the dates, before the model server is called; nothing is filled in. A
dataset without such covariates sends the histories as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from api.errors import ApiError
from core.covariates import (
    ID_COL,
    TIME_COL,
    Covariate,
    MissingFutureCovariatesError,
    describe_missing,
    require_future,
)
from core.datasets.frequency import horizon_timestamps
from core.db.repositories.covariates import read_covariate_values, with_stored_covariates
from core.db.tables import Dataset

__all__ = ["with_covariates"]

_LISTED = 5


def _panel(histories: Sequence[dict[str, Any]]) -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame(
                {
                    ID_COL: h["id"],
                    TIME_COL: pd.to_datetime(h["timestamps"], utc=True).tz_localize(None),
                    "y": h["values"],
                }
            )
            for h in histories
        ],
        ignore_index=True,
    )


def _expected(histories: Sequence[dict[str, Any]], frequency: str, horizon: int) -> pd.DataFrame:
    """Every series' `horizon` dates after its last observation."""
    rows = [
        (h["id"], ts)
        for h in histories
        for ts in horizon_timestamps(pd.Timestamp(h["timestamps"][-1]), frequency, horizon)
    ]
    return pd.DataFrame(rows, columns=[ID_COL, TIME_COL])


def _checked_override(future: pd.DataFrame, names: list[str], dynamic: list[str]) -> pd.DataFrame:
    """The override frame with its rows for every series (`unique_id` None) given to each,
    series-own rows last (they win); 422 for columns or series it cannot be about."""
    unknown = sorted(c for c in future.columns if c not in (ID_COL, TIME_COL, *dynamic))
    if TIME_COL not in future.columns or unknown:
        raise ApiError(
            422,
            "invalid_future_covariates",
            f"future values need a ds column and known-in-advance covariates only "
            f"({dynamic}); got columns {unknown}",
        )
    future = future.reindex(columns=[ID_COL, TIME_COL, *dynamic])
    future = future.assign(ds=pd.to_datetime(future[TIME_COL], utc=True).dt.tz_localize(None))
    strangers = sorted(set(future[ID_COL].dropna().astype(str)) - set(names))
    if strangers:
        raise ApiError(
            422,
            "invalid_future_covariates",
            f"future values for series not in the request: {strangers[:_LISTED]}",
        )
    return _per_series(future, names)


def _per_series(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """`frame`'s rows for every series (`unique_id` None) given to each of `names`, then the
    series' own rows (last: they win where a later step keeps the last value)."""
    shared = frame[frame[ID_COL].isna()]
    own = frame[frame[ID_COL].notna()].assign(unique_id=lambda f: f[ID_COL].astype(str))
    everyone = [shared.assign(unique_id=name) for name in names]
    return pd.concat([*everyone, own], ignore_index=True)


def _missing_error(error: MissingFutureCovariatesError, ids: dict[str, int]) -> ApiError:
    missing = [
        {
            "series_id": ids[m["unique_id"]],
            "series": m["unique_id"],
            "covariate": m["covariate"],
            "dates": m["dates"],
        }
        for m in error.missing
    ]
    shown = describe_missing(missing, lambda m: f"{m['series_id']} ({m['series']!r})")
    return ApiError(
        422,
        "missing_future_covariates",
        f"the horizon lacks known-in-advance covariate values (store them with POST "
        f"/api/v1/series/{{id}}/covariates or send them as `future`): {shown}",
        {"missing": missing},
    )


def _cell(value: Any, covariate: Covariate) -> bool | float | str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if covariate.type == "categorical":
        return str(value)
    return bool(value) if covariate.type == "boolean" else float(value)


def with_covariates(
    session: Session,
    dataset: Dataset,
    covariates: Sequence[Covariate],
    series_ids: Sequence[int],
    histories: list[dict[str, Any]],
    horizon: int,
    future: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """`histories` (the model server's `{"id", "timestamps", "values"}`, one per series id)
    with their covariates: `covariates` (known-in-advance values over the history), `static`
    and `future` (the horizon's values: stored, `future`'s non-missing values in their
    place). 422 `missing_future_covariates` when a horizon date lacks a value."""
    dynamic = [c for c in covariates if c.dynamic]
    static = [c for c in covariates if c.kind == "static"]
    if not dynamic and future is not None and len(future.columns.difference([ID_COL, TIME_COL])):
        raise ApiError(
            422,
            "invalid_future_covariates",
            f"dataset {dataset.name!r} declares no known-in-advance covariates",
        )
    if not dynamic and not static:
        return histories
    names = [h["id"] for h in histories]
    ids = dict(zip(names, series_ids, strict=True))
    panel = with_stored_covariates(session, _panel(histories), covariates, dataset_id=dataset.id)
    values = None
    if dynamic:
        if dataset.frequency is None:
            raise ApiError(
                422, "frequency_unknown", f"dataset {dataset.name!r} has no frequency yet"
            )
        expected = _expected(histories, dataset.frequency, horizon)
        stored = read_covariate_values(
            session,
            covariates,
            dataset_id=dataset.id,
            series_names=names,
            start=expected[TIME_COL].min().to_pydatetime(),
            end=expected[TIME_COL].max().to_pydatetime(),
        )
        # the dataset's values for every series, then each series' own (they win)
        frames = [_per_series(stored, names)]
        if future is not None:
            frames.append(_checked_override(future, names, [c.name for c in dynamic]))
        merged = pd.concat(frames, ignore_index=True)
        merged[ID_COL] = merged[ID_COL].astype(str)
        # the last value given for each (series, date, covariate) wins; NaN gives none
        merged = merged.groupby([ID_COL, TIME_COL], sort=False).last().reset_index()
        try:
            values = require_future(merged, expected, covariates)
        except MissingFutureCovariatesError as error:
            raise _missing_error(error, ids) from error
    by_series = dict(tuple(panel.groupby(ID_COL, sort=False)))
    ahead_of = {} if values is None else dict(tuple(values.groupby(ID_COL, sort=False)))
    out = []
    for history in histories:
        name = history["id"]
        rows = by_series[name]
        extra: dict[str, Any] = {}
        if dynamic:
            extra["covariates"] = {c.name: [_cell(v, c) for v in rows[c.name]] for c in dynamic}
            ahead = ahead_of[name]
            extra["future"] = {
                "timestamps": [ts.isoformat() for ts in ahead[TIME_COL]],
                "values": {c.name: [_cell(v, c) for v in ahead[c.name]] for c in dynamic},
            }
        if static:
            first = rows.iloc[0]
            given = {c.name: _cell(first[c.name], c) for c in static}
            extra["static"] = {k: v for k, v in given.items() if v is not None}
        out.append({**history, **extra})
    return out
