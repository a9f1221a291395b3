"""Turn request histories into forecasts with a loaded forecaster.

Kept apart from the BentoML service so it can be tested and benchmarked in-process.
`forecast_jobs` predicts the series of several requests (same horizon and levels) in one
model call; that is what adaptive batching feeds it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from bentos.schemas import ForecastPoint, SeriesForecast, SeriesHistory

__all__ = ["ForecastInputError", "forecast_histories", "forecast_jobs", "histories_to_panel"]

# Joins a request's position to a series id so ids of different requests never collide.
_JOB_SEPARATOR = "\x1f"


class ForecastInputError(ValueError):
    """The request's histories cannot be forecast (duplicate ids, irregular spacing, ...)."""


def histories_to_panel(series: Sequence[SeriesHistory], id_prefix: str = "") -> pd.DataFrame:
    """Long-format panel (`unique_id`, `ds`, `y`) from request histories."""
    ids = [s.id for s in series]
    if len(set(ids)) != len(ids):
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        raise ForecastInputError(f"series ids must be unique in a request; repeated: {duplicated}")
    frames = [
        pd.DataFrame(
            {
                "unique_id": id_prefix + s.id,
                "ds": pd.to_datetime(s.timestamps, utc=True).tz_localize(None),
                "y": s.values,
            }
        )
        for s in series
    ]
    return pd.concat(frames, ignore_index=True)


def _predict(model, panel: pd.DataFrame, horizon: int, levels: Sequence[int]) -> pd.DataFrame:
    from models.validation import PanelValidationError, validate_panel

    try:
        panel = validate_panel(panel, freq=model.config.freq)
    except PanelValidationError as exc:
        raise ForecastInputError(str(exc)) from exc
    try:
        return model.predict(horizon, levels=list(levels) or None, history=panel)
    except ValueError as exc:  # e.g. a history shorter than the model's lags
        raise ForecastInputError(str(exc)) from exc


def _to_forecast(series_id: str, frame: pd.DataFrame, levels: Sequence[int]) -> SeriesForecast:
    points = [
        ForecastPoint(
            ds=row["ds"],
            yhat=float(row["yhat"]),
            lower={str(lv): float(row[f"yhat_lo_{lv}"]) for lv in levels},
            upper={str(lv): float(row[f"yhat_hi_{lv}"]) for lv in levels},
        )
        for row in frame.to_dict("records")
    ]
    return SeriesForecast(id=series_id, points=points)


def forecast_histories(
    model, series: Sequence[SeriesHistory], horizon: int, levels: Sequence[int]
) -> list[SeriesForecast]:
    """Forecast `horizon` steps after each history, with intervals at `levels` percent."""
    return forecast_jobs(model, [series], horizon, levels)[0]


def forecast_jobs(
    model,
    jobs: Sequence[Sequence[SeriesHistory]],
    horizon: int,
    levels: Sequence[int],
) -> list[list[SeriesForecast]]:
    """Forecast the series of several requests in one model call; one answer per request."""
    if len(jobs) == 1:
        prefixes = [""]
    else:
        prefixes = [f"{index}{_JOB_SEPARATOR}" for index in range(len(jobs))]
    panel = pd.concat(
        [histories_to_panel(series, prefix) for series, prefix in zip(jobs, prefixes, strict=True)],
        ignore_index=True,
    )
    predictions = _predict(model, panel, horizon, levels)
    by_id = dict(tuple(predictions.groupby("unique_id", sort=False)))
    return [
        [_to_forecast(s.id, by_id[prefix + s.id], levels) for s in series]
        for series, prefix in zip(jobs, prefixes, strict=True)
    ]
