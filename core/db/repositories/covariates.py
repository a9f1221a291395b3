"""Covariate values: idempotent bulk upserts and reads as frames, per dataset.

Static covariates hold one value per (series, covariate); known-in-advance covariates one per
(series, timestamp, covariate), future timestamps included; a known-in-advance value for every
series of a dataset at once (a row without `unique_id`) is kept per (dataset, timestamp,
covariate), and a series' own value wins over it. A value is a number (booleans as
0/1, as `core.covariates.validate_covariates` types them) or, for a categorical covariate, a
category. Frames are wide, as validated: `unique_id`, `ds` (naive UTC; time-varying only) and
one column per covariate. Timestamps are stored in UTC; naive ones are taken to be UTC.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from core.covariates import ID_COL, TIME_COL, Covariate, join_covariates
from core.db.repositories.datasets import default_dataset_id
from core.db.repositories.series import in_dataset, series_ids_by_name
from core.db.repositories.upserts import UpsertResult, upsert_rows
from core.db.tables import CovariateValue, DatasetCovariateValue, Series, StaticCovariate
from core.db.types import as_utc

__all__ = [
    "CovariatesStored",
    "read_covariate_values",
    "read_static_covariates",
    "store_covariates",
    "upsert_covariate_values",
    "upsert_static_covariates",
    "with_stored_covariates",
]

_CHUNK_ROWS = 2000


@dataclass(frozen=True)
class CovariatesStored:
    """What one write stored: static values and time-varying values, each inserted/updated."""

    static: UpsertResult
    values: UpsertResult

    @classmethod
    def nothing(cls) -> CovariatesStored:
        return cls(UpsertResult(0, 0), UpsertResult(0, 0))

    def __add__(self, other: CovariatesStored) -> CovariatesStored:
        return CovariatesStored(self.static + other.static, self.values + other.values)

    @property
    def inserted(self) -> int:
        return self.static.inserted + self.values.inserted

    @property
    def updated(self) -> int:
        return self.static.updated + self.values.updated


def _declared(covariates: Sequence[Covariate], names: Iterable[str]) -> list[Covariate]:
    by_name = {c.name: c for c in covariates}
    unknown = sorted(n for n in names if n not in by_name)
    if unknown:
        raise ValueError(f"undeclared covariates {unknown}; declared: {sorted(by_name)}")
    return [by_name[n] for n in names]


def _value_fields(covariate: Covariate, raw: Any, where: str) -> dict[str, Any]:
    """The row's `value` and `category` for one cell; a missing or non-finite one raises."""
    if covariate.type == "categorical":
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            raise ValueError(f"{covariate.name} {where}: missing value; quarantine such rows")
        return {"value": None, "category": str(raw)}
    try:
        number = float(raw)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(
            f"{covariate.name} {where} is {raw!r}, not a finite number; quarantine such rows"
        )
    return {"value": number, "category": None}


def _write(
    session: Session, table: Table, rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> UpsertResult:
    seen: set[tuple] = set()
    for row in rows:
        key = tuple(row[k] for k in keys)
        if key in seen:
            raise ValueError(f"repeated key {dict(zip(keys, key, strict=True))} in one batch")
        seen.add(key)
    result = UpsertResult(0, 0)
    for start in range(0, len(rows), _CHUNK_ROWS):
        part = rows[start : start + _CHUNK_ROWS]
        result += upsert_rows(session, table, part, keys, updates=("value", "category"))
    session.expire_all()
    return result


def _series_ids(session, frame, create_missing_series, frequency, dataset_id) -> pd.Series:
    if ID_COL not in frame.columns or frame[ID_COL].isna().any():
        raise ValueError("every static covariate row must name its series (unique_id)")
    names = frame[ID_COL].astype(str)
    ids = series_ids_by_name(
        session, names.unique(), create_missing_series, frequency, dataset_id=dataset_id
    )
    return names.map(ids)


def upsert_static_covariates(
    session: Session,
    frame: pd.DataFrame,
    covariates: Sequence[Covariate],
    *,
    dataset_id: int | None = None,
    create_missing_series: bool = False,
    frequency: str | None = None,
) -> UpsertResult:
    """Insert or update the static covariate columns of `frame` (`unique_id` and one column
    each; a series' value may repeat over rows, two values for one series raise)."""
    declared = _declared(covariates, [c for c in frame.columns if c not in (ID_COL, TIME_COL)])
    static = [c for c in declared if c.kind == "static"]
    if not static or frame.empty:
        return UpsertResult(0, 0)
    ids = _series_ids(session, frame, create_missing_series, frequency, dataset_id)
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for covariate in static:
        for series_id, name, raw in zip(ids, frame[ID_COL], frame[covariate.name], strict=True):
            fields = _value_fields(covariate, raw, f"of series {name!r}")
            row = {"series_id": int(series_id), "name": covariate.name, **fields}
            if rows.setdefault((int(series_id), covariate.name), row) != row:
                raise ValueError(f"{covariate.name}: several values for series {name!r}")
    table: Table = StaticCovariate.__table__  # type: ignore[assignment]
    return _write(session, table, list(rows.values()), ("series_id", "name"))


def _value_rows(
    frame: pd.DataFrame, dynamic: Sequence[Covariate], keys: dict[str, Any]
) -> list[dict[str, Any]]:
    """Storage rows (`keys` columns, `ts`, `name`, value fields) of `frame`'s dynamic columns;
    `keys` maps each key column to its values (one per frame row)."""
    stamps = pd.to_datetime(frame[TIME_COL])
    if stamps.isna().any():
        raise ValueError("every covariate row needs a timestamp (ds)")
    names = frame[ID_COL] if ID_COL in frame.columns else pd.Series(None, index=frame.index)
    rows = []
    for covariate in dynamic:
        for place, (name, ts, raw) in enumerate(
            zip(names, stamps, frame[covariate.name], strict=True)
        ):
            moment = as_utc(ts.to_pydatetime())
            whose = "every series" if pd.isna(name) else f"series {name!r}"
            rows.append(
                {**{key: values[place] for key, values in keys.items()}, "ts": moment,
                 "name": covariate.name,
                 **_value_fields(covariate, raw, f"of {whose} at {moment.isoformat()}")}
            )  # fmt: skip
    return rows


def upsert_covariate_values(
    session: Session,
    frame: pd.DataFrame,
    covariates: Sequence[Covariate],
    *,
    dataset_id: int | None = None,
    create_missing_series: bool = False,
    frequency: str | None = None,
) -> UpsertResult:
    """Insert or update the known-in-advance columns of `frame` (`unique_id`, `ds` and one
    column each), keyed by (series, timestamp, covariate); re-sending a value updates it. A
    row without `unique_id` (the column absent, or null) holds a value for every series of
    the dataset (None: `default`), keyed by (dataset, timestamp, covariate)."""
    declared = _declared(covariates, [c for c in frame.columns if c not in (ID_COL, TIME_COL)])
    dynamic = [c for c in declared if c.dynamic]
    if not dynamic or frame.empty:
        return UpsertResult(0, 0)
    if TIME_COL not in frame.columns:
        raise ValueError(f"known-in-advance covariates {[c.name for c in dynamic]} need ds")
    shared = frame[ID_COL].isna() if ID_COL in frame.columns else pd.Series(True, frame.index)
    result = UpsertResult(0, 0)
    if shared.any():
        rows = frame[shared]
        owner = dataset_id if dataset_id is not None else default_dataset_id(session)
        table: Table = DatasetCovariateValue.__table__  # type: ignore[assignment]
        values = _value_rows(rows, dynamic, {"dataset_id": [owner] * len(rows)})
        result += _write(session, table, values, ("dataset_id", "ts", "name"))
    if not shared.all():
        rows = frame[~shared]
        ids = _series_ids(session, rows, create_missing_series, frequency, dataset_id)
        table = CovariateValue.__table__  # type: ignore[assignment]
        values = _value_rows(rows, dynamic, {"series_id": [int(i) for i in ids]})
        result += _write(session, table, values, ("series_id", "ts", "name"))
    return result


def store_covariates(
    session: Session,
    frame: pd.DataFrame,
    covariates: Sequence[Covariate],
    *,
    dataset_id: int | None = None,
    create_missing_series: bool = False,
    frequency: str | None = None,
) -> CovariatesStored:
    """Both kinds from one validated frame: its static columns once per series, its
    known-in-advance columns per timestamp."""
    declared = _declared(covariates, [c for c in frame.columns if c not in (ID_COL, TIME_COL)])
    options = {
        "dataset_id": dataset_id,
        "create_missing_series": create_missing_series,
        "frequency": frequency,
    }
    static = [c.name for c in declared if c.kind == "static"]
    dynamic = [c.name for c in declared if c.dynamic]
    keys = [c for c in (ID_COL, TIME_COL) if c in frame.columns]
    return CovariatesStored(
        static=upsert_static_covariates(session, frame[[ID_COL, *static]], covariates, **options)
        if static
        else UpsertResult(0, 0),
        values=upsert_covariate_values(session, frame[[*keys, *dynamic]], covariates, **options)
        if dynamic
        else UpsertResult(0, 0),
    )


def _wide(
    rows: list[tuple], keys: list[str], covariates: Sequence[Covariate], names: Sequence[str]
) -> pd.DataFrame:
    """Long (keys..., name, value, category) rows as one column per covariate."""
    by_name = {c.name: c for c in covariates}
    long = pd.DataFrame(rows, columns=[*keys, "name", "value", "category"])
    long["cell"] = [
        category if by_name[name].type == "categorical" else value
        for name, value, category in zip(long["name"], long["value"], long["category"], strict=True)
    ]
    if long.empty:
        wide = pd.DataFrame(columns=[*keys, *names])
    else:
        wide = long.pivot(index=keys, columns="name", values="cell").reset_index()
        wide.columns.name = None
    for name in names:
        if name not in wide.columns:
            wide[name] = None
        wide[name] = (
            wide[name].astype(object)
            if by_name[name].type == "categorical"
            else pd.to_numeric(wide[name]).astype("float64")
        )
    wide[ID_COL] = wide[ID_COL].astype(object)
    return wide[[*keys, *names]].sort_values(keys, ignore_index=True)


def _of_series(query, series_id, session, dataset_id, series_names):
    query = query.join(Series, Series.id == series_id)
    query = query.where(in_dataset(dataset_id))
    if series_names is not None:
        ids = series_ids_by_name(session, series_names, dataset_id=dataset_id)
        query = query.where(Series.id.in_(list(ids.values())))
    return query


def read_static_covariates(
    session: Session,
    covariates: Sequence[Covariate],
    *,
    dataset_id: int | None = None,
    series_names: Iterable[str] | None = None,
) -> pd.DataFrame:
    """`unique_id` and one column per declared static covariate, a row per series of the
    dataset (None: `default`) holding any; unknown names in `series_names` raise."""
    names = [c.name for c in covariates if c.kind == "static"]
    query = select(
        Series.name, StaticCovariate.name, StaticCovariate.value, StaticCovariate.category
    )
    query = _of_series(query, StaticCovariate.series_id, session, dataset_id, series_names)
    query = query.where(StaticCovariate.name.in_(names))
    return _wide(session.execute(query).all(), [ID_COL], covariates, names)


def _in_range(query, column, start: datetime | None, end: datetime | None):
    if start is not None:
        query = query.where(column >= as_utc(start))
    if end is not None:
        query = query.where(column <= as_utc(end))
    return query


def read_covariate_values(
    session: Session,
    covariates: Sequence[Covariate],
    *,
    dataset_id: int | None = None,
    series_names: Iterable[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    own: bool = True,
    shared: bool = True,
) -> pd.DataFrame:
    """`unique_id`, `ds` (naive UTC) and one column per declared known-in-advance covariate
    (missing values as NaN/None), sorted by series and time; `start` and `end` inclusive.

    `own`: the series' own values (of `series_names`, or all the dataset's); `shared`: the
    dataset's values for every series, as rows with `unique_id` None after the series' rows.
    Where both hold a value for a series and date, the series' own wins
    (`core.covariates.join_covariates` applies that)."""
    names = [c.name for c in covariates if c.dynamic]
    rows: list[tuple] = []
    if own:
        query = select(
            Series.name, CovariateValue.ts, CovariateValue.name, CovariateValue.value,
            CovariateValue.category,
        )  # fmt: skip
        query = _of_series(query, CovariateValue.series_id, session, dataset_id, series_names)
        query = _in_range(
            query.where(CovariateValue.name.in_(names)), CovariateValue.ts, start, end
        )
        rows += session.execute(query).all()
    frame = _wide(
        [(name, as_utc(ts).replace(tzinfo=None), *rest) for name, ts, *rest in rows],
        [ID_COL, TIME_COL], covariates, names,
    )  # fmt: skip
    if shared:
        owner = dataset_id if dataset_id is not None else default_dataset_id(session)
        table = DatasetCovariateValue
        query = select(table.ts, table.name, table.value, table.category).where(
            table.dataset_id == owner, table.name.in_(names)
        )
        query = _in_range(query, table.ts, start, end)
        everyone = _wide(
            [("", as_utc(ts).replace(tzinfo=None), *rest) for ts, *rest in session.execute(query)],
            [ID_COL, TIME_COL], covariates, names,
        ).assign(**{ID_COL: None})  # fmt: skip
        if not everyone.empty:
            frame = pd.concat([frame, everyone], ignore_index=True) if len(frame) else everyone
    frame[TIME_COL] = pd.to_datetime(frame[TIME_COL])
    return frame


def with_stored_covariates(
    session: Session,
    panel: pd.DataFrame,
    covariates: Sequence[Covariate],
    *,
    dataset_id: int | None = None,
) -> pd.DataFrame:
    """`panel` (`unique_id`, `ds`, `y`) with the stored static and known-in-advance values of
    its series over its dates joined on (`core.covariates.join_covariates`): what a model with
    these covariates fits on and forecasts from. A (series, date) without a stored value stays
    missing; a dataset without such covariates gets `panel` back as it is."""
    if panel.empty or not any(c.kind != "calendar" for c in covariates):
        return panel
    names = panel[ID_COL].astype(str).unique().tolist()
    static = read_static_covariates(session, covariates, dataset_id=dataset_id, series_names=names)
    values = read_covariate_values(
        session,
        covariates,
        dataset_id=dataset_id,
        series_names=names,
        start=pd.Timestamp(panel[TIME_COL].min()).to_pydatetime(),
        end=pd.Timestamp(panel[TIME_COL].max()).to_pydatetime(),
    )
    return join_covariates(panel, covariates, static=static, values=values)
