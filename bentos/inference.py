"""Turn a batch of request histories into forecasts with a loaded forecaster.

Kept apart from the BentoML service so it can be tested and benchmarked in-process.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from bentos.schemas import ForecastPoint, SeriesForecast, SeriesHistory

__all__ = ["ForecastInputError", "forecast_histories", "histories_to_panel"]


class ForecastInputError(ValueError):
    """The request's histories cannot be forecast (duplicate ids, irregular spacing, ...)."""


def histories_to_panel(series: Sequence[SeriesHistory]) -> pd.DataFrame:
    """Long-format panel (`unique_id`, `ds`, `y`) from request histories."""
    ids = [s.id for s in series]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ForecastInputError(f"series ids must be unique in a request; repeated: {duplicated}")
    frames = [
        pd.DataFrame(
            {
                "unique_id": s.id,
                "ds": pd.to_datetime(s.timestamps, utc=True).tz_localize(None),
                "y": s.values,
            }
        )
        for s in series
    ]
    return pd.concat(frames, ignore_index=True)


def forecast_histories(
    model, series: Sequence[SeriesHistory], horizon: int, levels: Sequence[int]
) -> list[SeriesForecast]:
    """Forecast `horizon` steps after each history, with intervals at `levels` percent."""
    from models.validation import PanelValidationError, validate_panel

    panel = histories_to_panel(series)
    try:
        panel = validate_panel(panel, freq=model.config.freq)
    except PanelValidationError as exc:
        raise ForecastInputError(str(exc)) from exc
    try:
        predictions = model.predict(horizon, levels=list(levels) or None, history=panel)
    except ValueError as exc:  # e.g. a history shorter than the model's lags
        raise ForecastInputError(str(exc)) from exc
    by_id = {uid: frame for uid, frame in predictions.groupby("unique_id", sort=False)}
    out = []
    for s in series:
        frame = by_id[s.id]
        points = [
            ForecastPoint(
                ds=row["ds"],
                yhat=float(row["yhat"]),
                lower={str(lv): float(row[f"yhat_lo_{lv}"]) for lv in levels},
                upper={str(lv): float(row[f"yhat_hi_{lv}"]) for lv in levels},
            )
            for row in frame.to_dict("records")
        ]
        out.append(SeriesForecast(id=s.id, points=points))
    return out
