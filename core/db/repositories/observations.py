"""Observations: idempotent bulk upsert on (series, timestamp) and reads as long-format panels.

Timestamps are stored in UTC; naive datetimes are taken to be UTC. Panels use the
ecosystem's long format: `unique_id` (series name), `ds` (naive UTC timestamps), `y`.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    DateTime,
    Table,
    bindparam,
    func,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Session

from core.db.copy_read import can_copy, copy_columns
from core.db.copy_write import can_copy_in, copy_in
from core.db.repositories.series import in_dataset, series_ids_by_name
from core.db.repositories.upserts import DIALECT_INSERTS, UpsertResult, upsert_rows
from core.db.tables import Observation, Series
from core.db.types import UTCDateTime, as_utc, utc_now

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "PANEL_COLUMNS",
    "UPSERT_METHODS",
    "UpsertResult",
    "can_compute_scales",
    "count_observations",
    "first_observation_times",
    "latest_observation_times",
    "read_observations",
    "read_panel",
    "read_recent_panel",
    "recent_values",
    "seasonal_scales",
    "series_lengths",
    "staged_upsert",
    "upsert_observations",
    "upsert_panel",
]

DEFAULT_CHUNK_SIZE = 2000
PANEL_COLUMNS = ("unique_id", "ds", "y")
UPSERT_METHODS = ("staged", "rows")  # see upsert_panel
_READ_CHUNK_ROWS = 50_000


def _normalized_row(series_id: int, ts: datetime, value: Any) -> dict[str, Any]:
    if isinstance(ts, pd.Timestamp):
        ts = ts.to_pydatetime()
    if not isinstance(ts, datetime):
        raise ValueError(f"timestamp for series id {series_id} must be a datetime, got {ts!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(
            f"value for series id {series_id} at {ts.isoformat()} is {value!r}, not a finite "
            "number; quarantine such rows instead of storing them"
        )
    return {"series_id": int(series_id), "ts": as_utc(ts), "value": number}


def _reject_duplicate_keys(rows: Sequence[dict[str, Any]]) -> None:
    counts = Counter((row["series_id"], row["ts"]) for row in rows)
    duplicates = [key for key, count in counts.items() if count > 1]
    if duplicates:
        shown = ", ".join(f"(series id {sid}, {ts.isoformat()})" for sid, ts in duplicates[:5])
        raise ValueError(
            f"{len(duplicates)} duplicate (series, timestamp) keys in one batch: {shown}"
        )


def _upsert_chunk(session: Session, rows: list[dict[str, Any]]) -> UpsertResult:
    table: Table = Observation.__table__  # type: ignore[assignment]
    return upsert_rows(session, table, rows, keys=("series_id", "ts"), updates=("value",))


def upsert_observations(
    session: Session,
    rows: Iterable[tuple[int, datetime, float]],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> UpsertResult:
    """Insert or update `(series_id, ts, value)` rows; re-sending a row only updates it.

    Non-finite values and a key repeated within the batch raise `ValueError` before
    anything is written, so a batch is never partly applied by surprise.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    normalized = [_normalized_row(*row) for row in rows]
    _reject_duplicate_keys(normalized)
    result = UpsertResult(0, 0)
    for start in range(0, len(normalized), chunk_size):
        result += _upsert_chunk(session, normalized[start : start + chunk_size])
    session.expire_all()
    return result


def upsert_panel(
    session: Session,
    panel: pd.DataFrame,
    create_missing_series: bool = True,
    frequency: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    method: str = "staged",
    dataset_id: int | None = None,
) -> UpsertResult:
    """Upsert a long-format frame (`unique_id`, `ds`, `y`) into the series of a dataset (None:
    `default`), creating unknown series there if asked.

    The rows are checked as `upsert_observations` checks them (a non-finite value or a
    (series, timestamp) repeated in the frame raises `ValueError` before anything is
    written), then, with `method="staged"`, loaded into a temporary staging table (binary
    `COPY` on PostgreSQL, `executemany` elsewhere) and upserted from it by one
    `INSERT ... SELECT ... ON CONFLICT`. `method="rows"` is the earlier path: parameterised
    `INSERT ... ON CONFLICT` in chunks of `chunk_size` (kept for comparison, see
    benchmarks/bulk_ingestion.py). Both give the same rows and the same counts.
    """
    if method not in UPSERT_METHODS:
        raise ValueError(f"method must be one of {UPSERT_METHODS}, got {method!r}")
    missing = [column for column in PANEL_COLUMNS if column not in panel.columns]
    if missing:
        raise ValueError(f"panel lacks column(s) {', '.join(missing)}; expected {PANEL_COLUMNS}")
    if method == "rows":
        ids = series_ids_by_name(
            session,
            panel["unique_id"].astype(str).unique(),
            create_missing_series,
            frequency,
            dataset_id=dataset_id,
        )
        timestamps = pd.to_datetime(panel["ds"])
        rows = zip(panel["unique_id"].astype(str).map(ids), timestamps, panel["y"], strict=True)
        return upsert_observations(session, rows, chunk_size)
    columns = _checked_columns(session, panel, create_missing_series, frequency, dataset_id)
    result = staged_upsert(session, *columns)
    session.expire_all()
    return result


def _checked_columns(
    session: Session,
    panel: pd.DataFrame,
    create_missing_series: bool,
    frequency: str | None,
    dataset_id: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(series ids, naive UTC datetime64[ns], float values) of the panel's rows, checked as
    `_normalized_row` and `_reject_duplicate_keys` check them, a column at a time."""
    codes, names = pd.factorize(panel["unique_id"].astype(str))
    ids = series_ids_by_name(
        session, names, create_missing_series, frequency, dataset_id=dataset_id
    )
    series_id = np.array([ids[name] for name in names], dtype=np.int64)[codes]
    stamps = pd.to_datetime(panel["ds"])
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    ts = stamps.to_numpy(dtype="datetime64[ns]")
    if np.isnat(ts).any():
        row = int(np.flatnonzero(np.isnat(ts))[0])
        raise ValueError(
            f"timestamp for series id {series_id[row]} must be a datetime, got "
            f"{panel['ds'].iloc[row]!r}"
        )
    value = pd.to_numeric(panel["y"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(value)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"value for series id {series_id[row]} at {_iso_utc(ts[row])} is "
            f"{panel['y'].iloc[row]!r}, not a finite number; quarantine such rows instead of "
            "storing them"
        )
    keys = pd.DataFrame({"series_id": series_id, "ts": ts}, copy=False)
    repeated = keys[keys.duplicated()].drop_duplicates()
    if len(repeated):
        shown = ", ".join(
            f"(series id {sid}, {_iso_utc(moment)})"
            for sid, moment in zip(repeated["series_id"][:5], repeated["ts"][:5], strict=True)
        )
        raise ValueError(
            f"{len(repeated)} duplicate (series, timestamp) keys in one batch: {shown}"
        )
    return series_id, ts, value


def _iso_utc(moment) -> str:
    return pd.Timestamp(moment).tz_localize("UTC").isoformat()


_STAGING_TABLE = "observations_staging"
_STAGED_COLUMNS = (("series_id", "bigint"), ("ts", "timestamptz"), ("value", "float8"))
_SQLITE_STAGING_ROWS = 100_000  # rows per executemany into the staging table


def staged_upsert(
    session: Session, series_id: np.ndarray, ts: np.ndarray, value: np.ndarray
) -> UpsertResult:
    """Upsert checked columns (no repeated key, finite values, naive UTC stamps) through a
    temporary staging table and one `INSERT ... SELECT ... ON CONFLICT`, in the session's
    transaction; the staging table is gone afterwards."""
    dialect = session.get_bind().dialect.name
    if dialect not in DIALECT_INSERTS:
        raise NotImplementedError(
            f"observation upsert supports sqlite and postgresql, not {dialect}"
        )
    if not len(series_id):
        return UpsertResult(0, 0)
    session.execute(text(f"DROP TABLE IF EXISTS {_STAGING_TABLE}"))
    stamp_type = "timestamptz" if dialect == "postgresql" else "DATETIME"
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE {_STAGING_TABLE} "
            f"(series_id bigint NOT NULL, ts {stamp_type} NOT NULL, value double precision "
            "NOT NULL)"
        )
    )
    if can_copy_in(session):
        arrays = {"series_id": series_id, "ts": ts, "value": value}
        copy_in(session, _STAGING_TABLE, _STAGED_COLUMNS, arrays)
    else:
        _fill_staging_by_executemany(session, series_id, ts, value, dialect)
    now = bindparam("now", utc_now(), type_=UTCDateTime())
    upsert = (
        f"INSERT INTO observations (series_id, ts, value, updated_at) "
        f"SELECT series_id, ts, value, :now FROM {_STAGING_TABLE} WHERE true "
        "ON CONFLICT (series_id, ts) DO UPDATE "
        "SET value = excluded.value, updated_at = excluded.updated_at"
    )
    if dialect == "postgresql":
        # xmax is 0 only on a freshly inserted row version: exact counts in the same statement.
        counted = text(
            f"WITH upserted AS ({upsert} RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FROM upserted"
        ).bindparams(now)
        inserted, total = session.execute(counted).one()
    else:
        # SQLite has no xmax; count the keys already there first (writers are serialised).
        existing = session.scalar(
            text(
                f"SELECT count(*) FROM {_STAGING_TABLE} AS s JOIN observations AS o "
                "ON o.series_id = s.series_id AND o.ts = s.ts"
            )
        )
        session.execute(text(upsert).bindparams(now))
        total = len(series_id)
        inserted = total - (existing or 0)
    session.execute(text(f"DROP TABLE {_STAGING_TABLE}"))
    return UpsertResult(inserted=int(inserted), updated=int(total) - int(inserted))


def _fill_staging_by_executemany(
    session: Session, series_id: np.ndarray, ts: np.ndarray, value: np.ndarray, dialect: str
) -> None:
    """Staging rows in large `executemany` batches; stamps as the column type stores them
    (SQLite: SQLAlchemy's `YYYY-MM-DD HH:MM:SS.ffffff` text of the naive UTC time)."""
    statement = f"INSERT INTO {_STAGING_TABLE} (series_id, ts, value) VALUES (?, ?, ?)"
    connection = session.connection()
    for start in range(0, len(series_id), _SQLITE_STAGING_ROWS):
        part = slice(start, start + _SQLITE_STAGING_ROWS)
        if dialect == "sqlite":
            stamps = np.char.replace(np.datetime_as_string(ts[part], unit="us"), "T", " ")
        else:  # PostgreSQL through a driver without COPY: aware datetimes
            stamps = pd.DatetimeIndex(ts[part]).tz_localize("UTC").to_pydatetime()
        rows = list(
            zip(series_id[part].tolist(), stamps.tolist(), value[part].tolist(), strict=True)
        )
        if dialect == "sqlite":
            connection.exec_driver_sql(statement, rows)
        else:
            connection.exec_driver_sql(statement.replace("?", "%s"), rows)


def read_observations(
    session: Session,
    series_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Observation]:
    """Observations of one series ordered by time; `start` and `end` are both inclusive."""
    query = select(Observation).where(Observation.series_id == series_id)
    if start is not None:
        query = query.where(Observation.ts >= as_utc(start))
    if end is not None:
        query = query.where(Observation.ts <= as_utc(end))
    return list(session.scalars(query.order_by(Observation.ts)))


def count_observations(session: Session, series_id: int | None = None) -> int:
    query = select(func.count()).select_from(Observation)
    if series_id is not None:
        query = query.where(Observation.series_id == series_id)
    return session.scalar(query) or 0


@contextlib.contextmanager
def _planned_for_every_row(session: Session) -> Iterator[None]:
    """A streamed read (a server-side cursor on PostgreSQL) planned for fetching every row.
    PostgreSQL plans a cursor for its first 10% of rows by default (`cursor_tuple_fraction`),
    and for this query that plan starts fast and ends slowly (six times slower to read 1,000
    series x 730 points, measured). The setting is this transaction's only, and back to its
    default once the rows are read."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
    yield
    session.execute(text("RESET cursor_tuple_fraction"))


def read_recent_panel(
    session: Session,
    last_n: int,
    series_names: Iterable[str] | None = None,
    dataset_id: int | None = None,
) -> pd.DataFrame:
    """The last `last_n` observations per series of a dataset (None: `default`) as a long
    frame sorted by series and time.

    Unknown names in `series_names` raise `RecordNotFoundError`; None means every series.
    """
    if last_n < 1:
        raise ValueError(f"last_n must be >= 1, got {last_n}")
    rank = func.row_number().over(
        partition_by=Observation.series_id, order_by=Observation.ts.desc()
    )
    ranked = select(Observation.series_id, Observation.ts, Observation.value, rank.label("rank"))
    ids = None
    if series_names is not None:
        ids = series_ids_by_name(session, series_names, dataset_id=dataset_id)
        ranked = ranked.where(Observation.series_id.in_(ids.values()))
    else:
        of_dataset = select(Series.id).where(in_dataset(dataset_id))
        ranked = ranked.where(Observation.series_id.in_(of_dataset))
    recent = ranked.subquery()
    if can_copy(session):
        count = select(func.count(Series.id)).where(in_dataset(dataset_id))
        n_series = len(ids) if ids is not None else session.scalar(count)
        return _copied_panel(session, recent, last_n, rows_at_most=(n_series or 0) * last_n)
    # The driver's datetimes as they come (pandas makes them UTC below, at once), not through
    # UTCDateTime's conversion per row.
    stamp = type_coerce(recent.c.ts, DateTime(timezone=True))
    query = (
        select(Series.name, stamp, recent.c.value)
        .join(recent, recent.c.series_id == Series.id)
        .where(recent.c.rank <= last_n)
        .order_by(Series.name, recent.c.ts)
    )
    # Streamed in chunks into compact columns: the rows never sit in memory as objects all
    # at once (a shard of a large panel would take several times the frame's size).
    with _planned_for_every_row(session):
        result = session.connection().execute(
            query, execution_options={"yield_per": _READ_CHUNK_ROWS}
        )
        names, stamps, values = [], [], []
        for chunk in result.partitions():
            name, ts, value = zip(*chunk, strict=True)
            names.append(pd.Categorical(name))
            stamps.append(pd.to_datetime(list(ts), utc=True).tz_localize(None).to_numpy())
            values.append(np.asarray(value, dtype=float))
    if not names:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in PANEL_COLUMNS})
        frame["ds"] = pd.to_datetime(frame["ds"])
        frame["y"] = frame["y"].astype(float)
        return frame
    chunked = pd.api.types.union_categoricals(names)
    del names
    unique_id = _one_name_per_series(chunked.codes, chunked.categories)
    ds, y = np.concatenate(stamps), np.concatenate(values)
    del stamps, values
    return _panel_of(unique_id, ds, y)


def _copied_panel(session: Session, recent, last_n: int, rows_at_most: int) -> pd.DataFrame:
    """`read_recent_panel` on PostgreSQL: the rows through binary COPY as NumPy columns (no
    Python object per row; allocated once for `rows_at_most`, the series times `last_n`),
    the names from one query of the series read."""
    query = (
        select(recent.c.series_id, recent.c.ts, recent.c.value)
        .join(Series, recent.c.series_id == Series.id)
        .where(recent.c.rank <= last_n)
        .order_by(Series.name, recent.c.ts)
    )
    columns = copy_columns(session, query, _COPIED_COLUMNS, rows_at_most=rows_at_most)
    return _named_panel(session, columns)


_COPIED_COLUMNS = [("series_id", "bigint"), ("ts", "timestamptz"), ("value", "float8")]


def _named_panel(session: Session, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """The panel of copied (series_id, ts, value) columns sorted by series name and time."""
    # Each series' rows come together (sorted by name): its name is repeated over its run,
    # with no per-row codes beside the ids.
    series_id = columns.pop("series_id")
    starts = np.flatnonzero(series_id[1:] != series_id[:-1]) + 1
    starts = np.r_[0, starts] if len(series_id) else starts
    run_ids, run_lengths = series_id[starts], np.diff(np.r_[starts, len(series_id)])
    del series_id
    known = select(Series.id, Series.name).where(Series.id.in_(np.unique(run_ids).tolist()))
    names = {found: str(name) for found, name in session.execute(known)}
    run_names = np.array([names[i] for i in run_ids.tolist()], dtype=object)
    unique_id = np.repeat(run_names, run_lengths)
    return _panel_of(unique_id, columns.pop("ts"), columns.pop("value"))


def _panel_of(unique_id: np.ndarray, ds: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """The panel frame over the three columns as they are (no copies). The names go in as an
    object Series: handed a bare object array, the frame's constructor would look for a
    better type in it, through temporary arrays of ~40 bytes a row (1.7 times the panel)."""
    columns = {"unique_id": pd.Series(unique_id, dtype=object, copy=False), "ds": ds, "y": y}
    return pd.DataFrame(columns, columns=list(PANEL_COLUMNS), copy=False)


def _one_name_per_series(codes: np.ndarray, uniques: pd.Index) -> np.ndarray:
    """Series names (`uniques[codes]`) as objects with one string per series, not one per row:
    a string costs about 55 bytes, as much as the row's other two columns together."""
    return np.asarray(uniques.astype(str), dtype=object)[codes]


def _panel_frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(PANEL_COLUMNS))
    frame["unique_id"] = _one_name_per_series(*pd.factorize(frame["unique_id"]))
    frame["ds"] = pd.to_datetime(frame["ds"], utc=True).dt.tz_localize(None)
    frame["y"] = frame["y"].astype(float)
    return frame


def read_panel(
    session: Session,
    *,
    series_ids: Iterable[int] | None = None,
    start: datetime | None = None,
    before: datetime | None = None,
    dataset_id: int | None = None,
    names_between: tuple[str, str] | None = None,
) -> pd.DataFrame:
    """Observations of a dataset (None: `default`) as a long frame sorted by series and time:
    `start` inclusive, `before` exclusive, of `series_ids` only when given, of the series
    whose names lie between `names_between`'s two (both inclusive, in the database's order
    of names, the frame's) when given. On PostgreSQL the rows come through binary COPY as
    NumPy columns (no Python object per row)."""
    copied = can_copy(session)
    key = Observation.series_id if copied else Series.name
    query = (
        select(key, Observation.ts, Observation.value)
        .join(Series, Series.id == Observation.series_id)
        .where(in_dataset(dataset_id))
    )
    if series_ids is not None:
        query = query.where(Observation.series_id.in_(list(series_ids)))
    if names_between is not None:
        query = query.where(Series.name.between(*names_between))
    if start is not None:
        query = query.where(Observation.ts >= as_utc(start))
    if before is not None:
        query = query.where(Observation.ts < as_utc(before))
    query = query.order_by(Series.name, Observation.ts)
    if copied:
        return _named_panel(session, copy_columns(session, query, _COPIED_COLUMNS))
    return _panel_frame(session.execute(query).all())


def series_lengths(session: Session, dataset_id: int | None = None) -> pd.Series:
    """Each series' number of observations in a dataset (None: `default`), indexed by name in
    `read_panel`'s order (the database's order of names); series without any are left out,
    as `read_panel` leaves them out."""
    query = (
        select(Series.name, func.count())
        .join(Observation, Observation.series_id == Series.id)
        .where(in_dataset(dataset_id))
        .group_by(Series.id, Series.name)
        .order_by(Series.name)
    )
    rows = session.execute(query).all()
    return pd.Series(
        [int(n) for _, n in rows],
        index=pd.Index([str(name) for name, _ in rows], dtype=object, name="unique_id"),
        dtype="int64", name="count",
    )  # fmt: skip


def first_observation_times(session: Session, dataset_id: int | None = None) -> dict[str, datetime]:
    """Per series name of a dataset (None: `default`): its oldest stored timestamp, in UTC (the
    anchor of a fixed-step frequency grid)."""
    query = (
        select(Series.name, func.min(Observation.ts))
        .join(Series, Series.id == Observation.series_id)
        .where(in_dataset(dataset_id))
        .group_by(Series.name)
    )
    return {name: as_utc(ts) for name, ts in session.execute(query)}


def latest_observation_times(
    session: Session, dataset_id: int | None = None
) -> dict[str, dict[str, datetime]]:
    """Per series name of a dataset (None: `default`): its newest timestamp (`ts`) and when
    a value last arrived (`updated_at`), both in UTC."""
    query = (
        select(Series.name, func.max(Observation.ts), func.max(Observation.updated_at))
        .join(Series, Series.id == Observation.series_id)
        .where(in_dataset(dataset_id))
        .group_by(Series.name)
    )
    return {
        name: {"ts": as_utc(ts), "updated_at": as_utc(updated)}
        for name, ts, updated in session.execute(query)
    }


def recent_values(session: Session, series_id: int, points: int) -> tuple[list[datetime], list]:
    """The last `points` observations of one series, oldest first, as (timestamps, values):
    one index range scan on the (series, ts) key, no ORM objects."""
    rows = session.execute(
        select(Observation.ts, Observation.value)
        .where(Observation.series_id == series_id)
        .order_by(Observation.ts.desc())
        .limit(points)
    ).all()
    rows.reverse()
    return [ts for ts, _ in rows], [value for _, value in rows]


def seasonal_scales(
    session: Session, keys: Iterable[tuple[int, datetime]], season_length: int
) -> dict[tuple[int, datetime], float | None]:
    """`models.metrics.in_sample_scales` of each (series id, origin) in `keys`, over the
    series' observations strictly before `origin`, computed in the database: the mean
    absolute difference between a value and the one `season_length` points before it (one
    point before it where the series has no more than `season_length` points there). None
    for a flat series; a key without two points before its origin is left out. PostgreSQL
    only (`can_compute_scales`): the history is not sent to Python at all."""
    if season_length < 1:
        raise ValueError(f"season_length must be >= 1, got {season_length}")
    wanted = sorted({(int(series_id), as_utc(origin)) for series_id, origin in keys})
    if not wanted:
        return {}
    if not can_compute_scales(session):
        raise NotImplementedError("seasonal_scales runs on PostgreSQL only")
    # One window pass gives both differences (to `season_length` points before and to the
    # point before); the count of points picks which one the scale takes, as the backtest.
    query = text(
        "WITH wanted AS (SELECT * FROM unnest(CAST(:ids AS bigint[]), "
        "CAST(:origins AS timestamptz[])) AS w(series_id, origin)), "
        "lagged AS (SELECT w.series_id, w.origin, "
        "o.value - lag(o.value, CAST(:season AS integer)) OVER ordered AS seasonal, "
        "o.value - lag(o.value) OVER ordered AS naive "
        "FROM wanted AS w JOIN observations AS o "
        "ON o.series_id = w.series_id AND o.ts < w.origin "
        "WINDOW ordered AS (PARTITION BY w.series_id, w.origin ORDER BY o.ts)), "
        "means AS (SELECT series_id, origin, count(*) AS points, "
        "avg(abs(seasonal)) AS seasonal, avg(abs(naive)) AS naive "
        "FROM lagged GROUP BY series_id, origin), "
        "scales AS (SELECT series_id, origin, "
        "CASE WHEN points > :season THEN seasonal ELSE naive END AS scale FROM means) "
        "SELECT series_id, origin, scale FROM scales WHERE scale IS NOT NULL"
    )
    rows = session.execute(
        query,
        {
            "ids": [series_id for series_id, _ in wanted],
            "origins": [origin for _, origin in wanted],
            "season": season_length,
        },
    )
    return {
        (series_id, as_utc(origin)): (float(scale) if scale > 0 else None)
        for series_id, origin, scale in rows
    }


def can_compute_scales(session: Session) -> bool:
    """Whether `seasonal_scales` runs on the session's database (PostgreSQL)."""
    return session.get_bind().dialect.name == "postgresql"
