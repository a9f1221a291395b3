"""Forecasts as served: one record per series and request, with its points as JSON.

A point is `{"ds": ISO-8601 str, "yhat": float, "lo": {"80": float}, "hi": {"80": float}}`;
`lo`/`hi` hold one entry per interval level, keyed by the level as a string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.repositories.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from core.db.tables import Forecast

__all__ = ["get_forecast", "list_forecasts", "save_forecast"]


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
) -> Forecast:
    """Store one forecast; there must be exactly `horizon` points, each with every level."""
    if len(points) != horizon:
        raise ValueError(f"forecast has {len(points)} points but horizon {horizon}")
    level_keys = [str(level) for level in levels]
    forecast = Forecast(
        request_id=request_id,
        series_id=series_id,
        model_name=model_name,
        model_version=str(model_version),
        horizon=horizon,
        levels=[int(level) for level in levels],
        payload=[_point_document(point, level_keys, i) for i, point in enumerate(points)],
    )
    session.add(forecast)
    session.flush()
    return forecast


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
