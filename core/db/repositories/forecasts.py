"""Forecasts as served: one record per series and request, with its points as JSON.

A point is `{"ds": ISO-8601 str, "yhat": float, "lo": {"80": float}, "hi": {"80": float}}`;
`lo`/`hi` hold one entry per interval level, keyed by the level as a string. Each point is
also stored as a `ForecastTarget` row, by the moment it targets, written with its forecast:
monitoring reads a day's points through that row's index, never the payloads.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from core.db.repositories.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from core.db.tables import FORECAST_KINDS, Forecast, ForecastTarget
from core.db.types import as_utc, utc_now

__all__ = [
    "NewForecast",
    "get_forecast",
    "latest_forecast",
    "list_forecasts",
    "save_forecast",
    "save_forecasts_bulk",
    "target_rows",
]


def _point_document(point: Mapping[str, Any], level_keys: list[str], index: int) -> dict[str, Any]:
    if "ds" not in point or "yhat" not in point:
        raise ValueError(f"forecast point {index} needs 'ds' and 'yhat', got keys {sorted(point)}")
    ds = point["ds"]
    document: dict[str, Any] = {
        "ds": ds.isoformat() if isinstance(ds, datetime) else str(ds),
        "yhat": float(point["yhat"]),
    }
    for side in ("lo", "hi"):
        bounds = {str(level): float(value) for level, value in (point.get(side) or {}).items()}
        if sorted(bounds) != sorted(level_keys):
            raise ValueError(
                f"forecast point {index} {side!r} has levels {sorted(bounds)}, "
                f"expected {sorted(level_keys)}"
            )
        document[side] = bounds
    return document


def save_forecast(
    session: Session,
    *,
    request_id: str,
    series_id: int,
    model_name: str,
    model_version: str,
    horizon: int,
    levels: Sequence[int],
    points: Sequence[Mapping[str, Any]],
    kind: str = "request",
    data_cutoff: datetime | None = None,
) -> Forecast:
    """Store one forecast; there must be exactly `horizon` points, each with every level."""
    forecast = Forecast(
        **_checked_row(
            NewForecast(
                series_id=series_id,
                request_id=request_id,
                model_name=model_name,
                model_version=model_version,
                horizon=horizon,
                levels=levels,
                points=points,
                kind=kind,
                data_cutoff=data_cutoff,
            )
        )
    )
    session.add(forecast)
    session.flush()
    session.execute(insert(ForecastTarget), target_rows(forecast.id, forecast.payload))
    return forecast


def target_rows(forecast_id: int, payload: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The `forecast_targets` rows of a stored forecast's checked payload (aware UTC moments;
    the origin is the first point's target)."""
    if not payload:
        return []
    origin = _moment(payload[0]["ds"])
    return [
        {
            "forecast_id": forecast_id,
            "step": step,
            "ds": _moment(point["ds"]),
            "origin": origin,
            "yhat": point["yhat"],
            "lo": point["lo"],
            "hi": point["hi"],
        }
        for step, point in enumerate(payload)
    ]


def _moment(text: str) -> datetime:
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError as error:
        raise ValueError(f"forecast point 'ds' must be an ISO-8601 date, got {text!r}") from error


@dataclass(frozen=True)
class NewForecast:
    """One forecast to store in bulk (`save_forecasts_bulk`)."""

    series_id: int
    request_id: str
    model_name: str
    model_version: str
    horizon: int
    levels: Sequence[int]
    points: Sequence[Mapping[str, Any]]
    kind: str = "batch"
    data_cutoff: datetime | None = None


def _checked_row(forecast: NewForecast, created_at: datetime | None = None) -> dict[str, Any]:
    """The table row of a forecast; bad points or kinds raise before anything is written."""
    if forecast.kind not in FORECAST_KINDS:
        raise ValueError(f"forecast kind must be one of {FORECAST_KINDS}, got {forecast.kind!r}")
    if len(forecast.points) != forecast.horizon:
        raise ValueError(
            f"forecast of series {forecast.series_id} has {len(forecast.points)} points but "
            f"horizon {forecast.horizon}"
        )
    level_keys = [str(level) for level in forecast.levels]
    row = {
        "request_id": forecast.request_id,
        "series_id": forecast.series_id,
        "model_name": forecast.model_name,
        "model_version": str(forecast.model_version),
        "horizon": forecast.horizon,
        "levels": [int(level) for level in forecast.levels],
        "payload": [_point_document(p, level_keys, i) for i, p in enumerate(forecast.points)],
        "kind": forecast.kind,
        "data_cutoff": None if forecast.data_cutoff is None else as_utc(forecast.data_cutoff),
    }
    if created_at is not None:
        row["created_at"] = created_at
    return row


_FORECAST_COLUMNS = (
    "id", "request_id", "series_id", "model_name", "model_version", "horizon", "levels",
    "payload", "kind", "data_cutoff", "created_at",
)  # fmt: skip
_TARGET_COLUMNS = ("forecast_id", "step", "ds", "origin", "yhat", "lo", "hi")
_JSON_COLUMNS = ("levels", "payload", "lo", "hi")


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _copy_postgres(
    session: Session,
    table: str,
    columns: Sequence[str],
    rows: Iterable[dict[str, Any]],
    batch_size: int,
) -> int:
    """COPY the rows in through the session's own connection (same transaction)."""
    raw = session.connection().connection.dbapi_connection
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    written = 0
    cursor = raw.cursor()
    try:
        if hasattr(cursor, "copy"):  # psycopg 3
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(_copy_values(row, columns))
                    written += 1
        else:  # psycopg2: COPY text format, a buffer per batch
            for batch in _batches(rows, batch_size):
                buffer = io.StringIO()
                for row in batch:
                    values = _copy_values(row, columns)
                    buffer.write("\t".join(_copy_text(v) for v in values) + "\n")
                buffer.seek(0)
                cursor.copy_expert(statement, buffer)
                written += len(batch)
    finally:
        cursor.close()
    return written


def _copy_values(row: dict[str, Any], columns: Sequence[str]) -> tuple:
    values = []
    for column in columns:
        value = row[column]
        if column in _JSON_COLUMNS:
            value = json.dumps(value, separators=(",", ":"))
        values.append(value)
    return tuple(values)


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _new_forecast_ids(session: Session, count: int) -> list[int]:
    """`count` ids drawn from the forecasts' own sequence, so COPY can write them."""
    sequence = func.pg_get_serial_sequence("forecasts", "id")
    drawn = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
    return list(session.scalars(drawn))


def save_forecasts_bulk(
    session: Session, forecasts: Iterable[NewForecast], *, batch_size: int = 5000
) -> int:
    """Store many forecasts at once and return how many: `COPY` on PostgreSQL, executemany
    in batches of `batch_size` elsewhere; never a round-trip per forecast. Every forecast is
    checked first, so a bad one writes none (and the caller's transaction holds them all).
    Their points go into `forecast_targets` the same way.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    created_at = utc_now()
    rows = [_checked_row(forecast, created_at) for forecast in forecasts]
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        for row, forecast_id in zip(rows, _new_forecast_ids(session, len(rows)), strict=True):
            row["id"] = forecast_id
        written = _copy_postgres(session, "forecasts", _FORECAST_COLUMNS, rows, batch_size)
        targets = (target for row in rows for target in target_rows(row["id"], row["payload"]))
        _copy_postgres(session, "forecast_targets", _TARGET_COLUMNS, targets, batch_size)
        return written
    for batch in _batches(rows, batch_size):
        returning = insert(Forecast).returning(Forecast.id, sort_by_parameter_order=True)
        ids = session.scalars(returning, batch).all()
        targets = [
            t for row, i in zip(batch, ids, strict=True) for t in target_rows(i, row["payload"])
        ]
        for part in _batches(targets, batch_size):
            session.execute(insert(ForecastTarget), part)
    return len(rows)


def latest_forecast(session: Session, series_id: int, kind: str | None = None) -> Forecast | None:
    """The newest stored forecast of a series (of one kind, or of any)."""
    query = select(Forecast).where(Forecast.series_id == series_id)
    if kind is not None:
        if kind not in FORECAST_KINDS:
            raise ValueError(f"forecast kind must be one of {FORECAST_KINDS}, got {kind!r}")
        query = query.where(Forecast.kind == kind)
    query = query.order_by(Forecast.created_at.desc(), Forecast.id.desc()).limit(1)
    return session.scalars(query).first()


def get_forecast(session: Session, forecast_id: int) -> Forecast | None:
    return session.get(Forecast, forecast_id)


def list_forecasts(
    session: Session,
    series_id: int | None = None,
    request_id: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    offset: int = 0,
) -> Page[Forecast]:
    """Forecasts, newest first, optionally of one series or one request."""
    query = select(Forecast).order_by(Forecast.created_at.desc(), Forecast.id.desc())
    if series_id is not None:
        query = query.where(Forecast.series_id == series_id)
    if request_id is not None:
        query = query.where(Forecast.request_id == request_id)
    return paginate(session, query, limit, offset)
