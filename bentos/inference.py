"""Turn request histories into forecasts with a loaded forecaster.

Kept apart from the BentoML service so it can be tested and benchmarked in-process.
`forecast_jobs` predicts the series of several requests (same horizon and levels) in one
model call where their ids allow; that is what adaptive batching feeds it. Series keep their
own ids, so the model recognises the series it was trained on (and reuses what it estimated
for them).

A series may carry its covariates (a model trained with them needs them): their values over
the history become columns of the panel, their values over the horizon the `future` frame the
model takes (`histories_to_future`). A series batched with others keeps its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from bentos.schemas import (
    ExplanationPoint,
    ForecastPoint,
    SeriesExplanation,
    SeriesForecast,
    SeriesHistory,
)

__all__ = [
    "ExplanationUnavailableError",
    "ForecastInputError",
    "explain_histories",
    "forecast_histories",
    "forecast_jobs",
    "histories_to_future",
    "histories_to_panel",
]


class ForecastInputError(ValueError):
    """The request's histories cannot be forecast (duplicate ids, irregular spacing, ...)."""


def _naive_utc(timestamps) -> pd.DatetimeIndex:
    return pd.to_datetime(timestamps, utc=True).tz_localize(None)


def histories_to_panel(series: Sequence[SeriesHistory]) -> pd.DataFrame:
    """Long-format panel (`unique_id`, `ds`, `y`) from request histories, with a column per
    covariate a history carries (static ones repeated on its rows); a series without one of
    them has it missing there (the model refuses such rows, naming them)."""
    _check_unique(series)
    frames = [
        pd.DataFrame(
            {
                "unique_id": s.id,
                "ds": _naive_utc(s.timestamps),
                "y": s.values,
                **{name: value for name, value in (s.static or {}).items()},
                **(s.covariates or {}),
            }
        )
        for s in series
    ]
    return pd.concat(frames, ignore_index=True)


def histories_to_future(series: Sequence[SeriesHistory]) -> pd.DataFrame | None:
    """The known-in-advance values the histories carry for their horizons (`unique_id`,
    `ds`, a column per covariate), or None when none carries any."""
    frames = [
        pd.DataFrame({"unique_id": s.id, "ds": _naive_utc(s.future.timestamps), **s.future.values})
        for s in series
        if s.future is not None
    ]
    return pd.concat(frames, ignore_index=True) if frames else None


def _predict(
    model, series: Sequence[SeriesHistory], horizon: int, levels: Sequence[int]
) -> pd.DataFrame:
    from models.validation import PanelValidationError, validate_panel

    try:
        panel = validate_panel(histories_to_panel(series), freq=model.config.freq)
    except PanelValidationError as exc:
        raise ForecastInputError(str(exc)) from exc
    future = histories_to_future(series)
    extra = {} if future is None else {"future": future}  # baselines take no `future`
    try:
        return model.predict(horizon, levels=list(levels) or None, history=panel, **extra)
    except ValueError as exc:  # e.g. a history shorter than the model's lags, or covariates
        raise ForecastInputError(str(exc)) from exc  # missing (CovariateError, named)


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


def _call_groups(jobs: Sequence[Sequence[SeriesHistory]]) -> list[dict[str, SeriesHistory]]:
    """The jobs' series split into as few model calls as their ids allow.

    Series keep their own ids (so a model can recognise the series it was trained on); a
    series sent by several requests with the same history is forecast once; only the same id
    with another history goes to another call.
    """
    groups: list[dict[str, SeriesHistory]] = []
    for series in jobs:
        for group in groups:
            if all(s.id not in group or group[s.id] == s for s in series):
                break
        else:
            group = {}
            groups.append(group)
        for s in series:
            group.setdefault(s.id, s)
    return groups


def forecast_jobs(
    model,
    jobs: Sequence[Sequence[SeriesHistory]],
    horizon: int,
    levels: Sequence[int],
) -> list[list[SeriesForecast]]:
    """Forecast the series of several requests in as few model calls as their ids allow
    (usually one); one answer per request."""
    for series in jobs:  # a request repeating an id is an error, whatever else is batched
        _check_unique(series)
    groups = _call_groups(jobs)
    answers: list[dict[str, pd.DataFrame]] = []
    for group in groups:
        predictions = _predict(model, list(group.values()), horizon, levels)
        answers.append(dict(tuple(predictions.groupby("unique_id", sort=False))))
    out = []
    for series in jobs:
        forecasts = []
        for s in series:
            index = next(i for i, g in enumerate(groups) if g.get(s.id) == s)
            forecasts.append(_to_forecast(s.id, answers[index][s.id], levels))
        out.append(forecasts)
    return out


class ExplanationUnavailableError(ValueError):
    """The served model has no LightGBM member to explain (a statistical baseline)."""


def explain_histories(
    model, series: Sequence[SeriesHistory], horizon: int
) -> list[SeriesExplanation]:
    """Each series' forecast of `horizon` steps, taken apart by feature group."""
    from models.validation import PanelValidationError, validate_panel

    if not hasattr(model, "explain"):
        raise ExplanationUnavailableError(
            f"the served model ({type(model).__name__}) has no LightGBM member to explain"
        )
    future = histories_to_future(series)
    extra = {} if future is None else {"future": future}
    try:
        panel = validate_panel(histories_to_panel(series), freq=model.config.freq)
        explained = model.explain(horizon, history=panel, **extra)
    except PanelValidationError as exc:
        raise ForecastInputError(str(exc)) from exc
    except ValueError as exc:  # e.g. a history shorter than the model's lags, or covariates
        raise ForecastInputError(str(exc)) from exc  # missing (CovariateError, named)
    fixed = {"unique_id", "ds", "base", "raw", "yhat"}
    groups = [c for c in explained.columns if c not in fixed]
    by_series = dict(tuple(explained.groupby("unique_id", sort=False)))
    return [SeriesExplanation(id=s.id, points=_points(by_series[s.id], groups)) for s in series]


def _points(frame: pd.DataFrame, groups: list[str]) -> list[ExplanationPoint]:
    return [
        ExplanationPoint(
            ds=row["ds"],
            base=float(row["base"]),
            contributions={g: float(row[g]) for g in groups},
            raw=float(row["raw"]),
            yhat=float(row["yhat"]),
        )
        for row in frame.to_dict("records")
    ]


def _check_unique(series: Sequence[SeriesHistory]) -> None:
    ids = [s.id for s in series]
    if len(set(ids)) != len(ids):
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        raise ForecastInputError(f"series ids must be unique in a request; repeated: {duplicated}")
