"""In-process inference: request histories -> forecasts, one model call for many requests."""

from __future__ import annotations

import pandas as pd
import pytest
from served_model import COVARIATE_HORIZON, retail_split, tiny_panel

from bentos.inference import (
    ExplanationUnavailableError,
    ForecastInputError,
    explain_histories,
    forecast_histories,
    forecast_jobs,
)
from bentos.schemas import MAX_COVARIATES, SeriesHistory


def history(series_id: str, source: str = "s00000", drop: int | None = None) -> SeriesHistory:
    panel = tiny_panel()
    rows = panel[panel["unique_id"] == source].reset_index(drop=True)
    if drop is not None:
        rows = rows.drop(index=drop)
    return SeriesHistory(id=series_id, timestamps=list(rows["ds"]), values=list(rows["y"]))


def test_forecasts_have_the_horizon_and_nested_intervals(tiny_model):
    [forecast] = forecast_histories(tiny_model, [history("a")], 4, [80, 95])
    assert forecast.id == "a" and len(forecast.points) == 4
    for point in forecast.points:
        assert point.lower["95"] <= point.lower["80"] <= point.yhat <= point.upper["80"]
        assert point.upper["80"] <= point.upper["95"]


def test_requests_batched_together_get_what_they_would_get_alone(tiny_model):
    # Two requests use the same series id for different data: they must not mix.
    first, second = [history("x", "s00000")], [history("x", "s00001"), history("y", "s00002")]
    together = forecast_jobs(tiny_model, [first, second], 3, [80])
    alone = [forecast_histories(tiny_model, job, 3, [80]) for job in (first, second)]
    assert together == alone
    assert [f.id for f in together[1]] == ["x", "y"]


def test_repeated_ids_in_one_request_are_refused(tiny_model):
    with pytest.raises(ForecastInputError, match="repeated"):
        forecast_histories(tiny_model, [history("a"), history("a", "s00001")], 3, [80])


def test_irregular_history_is_refused_with_the_series_named(tiny_model):
    with pytest.raises(ForecastInputError, match="gappy"):
        forecast_histories(tiny_model, [history("gappy", drop=50)], 3, [80])


def test_history_longer_than_the_limit_is_refused_by_the_schema():
    from pydantic import ValidationError

    from bentos.schemas import MAX_HISTORY

    n = MAX_HISTORY + 1
    with pytest.raises(ValidationError, match="at most"):
        SeriesHistory(id="a", timestamps=["2024-01-01"] * n, values=[1.0] * n)


class _CountingModel:
    """Wraps a model and records the series ids of every predict call."""

    def __init__(self, model):
        self.model, self.config, self.calls = model, model.config, []

    def predict(self, h, levels=None, history=None, **future):
        self.calls.append(sorted(history["unique_id"].unique()))
        return self.model.predict(h, levels=levels, history=history, **future)


def test_batched_series_keep_their_own_ids_and_repeats_are_forecast_once(tiny_model):
    counting = _CountingModel(tiny_model)
    same = [history("s00000")]
    jobs = [same, same, [history("s00000"), history("s00001", "s00001")]]
    together = forecast_jobs(counting, jobs, 3, [80])
    # one call, with the ids the model was trained on (no per-request prefixes), each once
    assert counting.calls == [["s00000", "s00001"]]
    assert together[0] == together[1] == [together[2][0]]
    conflicting = [[history("x", "s00000")], [history("x", "s00001")]]
    forecast_jobs(counting, conflicting, 3, [80])
    assert counting.calls[1:] == [["x"], ["x"]]  # the same id with other data: its own call


def test_explanations_add_up_and_match_the_forecast(tiny_model):
    """Per point: base + contributions == raw, and the explained yhat is the forecast's (the
    tiny model is a LightGBM model alone)."""
    [explained] = explain_histories(tiny_model, [history("a")], 4)
    [forecast] = forecast_histories(tiny_model, [history("a")], 4, [])
    assert explained.id == "a" and len(explained.points) == 4
    assert set(explained.points[0].contributions) == {"history", "calendar"}
    for point, forecast_point in zip(explained.points, forecast.points, strict=True):
        assert point.base + sum(point.contributions.values()) == pytest.approx(point.raw)
        assert point.ds == forecast_point.ds
        assert point.yhat == pytest.approx(forecast_point.yhat)


def test_a_model_without_a_lightgbm_member_cannot_be_explained_and_bad_input_is_named(
    tiny_model,
):
    class Baseline:  # a statistical baseline has no `explain`
        config = tiny_model.config

    with pytest.raises(ExplanationUnavailableError, match="Baseline"):
        explain_histories(Baseline(), [history("a")], 3)
    with pytest.raises(ForecastInputError, match="gappy"):
        explain_histories(tiny_model, [history("gappy", drop=50)], 3)


# -- covariates ------------------------------------------------------------------------------
def covariate_history(series_id: str, source: str = "p000", **future_changes) -> SeriesHistory:
    """A retail series as the model server takes it: its history with `promo` and `price`
    over it, its static `region`, and their values over the horizon (`future_changes`:
    covariate -> values replacing the recorded ones; a covariate -> None drops it)."""
    _, train, test = retail_split()
    rows, ahead = train[train["unique_id"] == source], test[test["unique_id"] == source]
    future = {"promo": list(ahead["promo"]), "price": list(ahead["price"])}
    future.update(future_changes)
    return SeriesHistory(
        id=series_id,
        timestamps=list(rows["ds"]),
        values=list(rows["y"]),
        covariates={"promo": [bool(v) for v in rows["promo"]], "price": list(rows["price"])},
        static={"region": rows["region"].iloc[0]},
        future={
            "timestamps": list(ahead["ds"]),
            "values": {k: v for k, v in future.items() if v is not None},
        },
    )


def _yhat(forecast) -> list[float]:
    return [p.yhat for p in forecast.points]


def test_future_covariate_values_sent_with_a_series_change_its_forecast(covariate_model):
    on = [True] * COVARIATE_HORIZON
    off = [False] * COVARIATE_HORIZON
    [promoted] = forecast_histories(covariate_model, [covariate_history("a", promo=on)], 7, [80])
    [plain] = forecast_histories(covariate_model, [covariate_history("a", promo=off)], 7, [80])
    assert len(promoted.points) == COVARIATE_HORIZON
    # the planted promotion lift (x1.5): switched on, every day's forecast is higher
    assert all(p > q for p, q in zip(_yhat(promoted), _yhat(plain), strict=True))
    # the same as the library forecasts with that future frame
    _, train, test = retail_split()
    rows = train[train["unique_id"] == "p000"].assign(unique_id="a")
    future = test[test["unique_id"] == "p000"].assign(unique_id="a", promo=1.0)
    expected = covariate_model.predict(7, levels=[80], history=rows, future=future)
    assert _yhat(promoted) == pytest.approx(list(expected["yhat"]))


def test_a_horizon_without_its_future_values_is_refused_naming_them(covariate_model):
    partial = [1.0] * 5 + [None, None]
    with pytest.raises(ForecastInputError, match="missing future covariate") as error:
        forecast_histories(covariate_model, [covariate_history("a", price=partial)], 7, [80])
    last = retail_split()[2]["ds"].max()
    days = [str((last - pd.Timedelta(days=d)).date()) for d in (1, 0)]
    assert f"series 'a', covariate 'price': {days[0]}, {days[1]}" in str(error.value)
    with pytest.raises(ForecastInputError, match="series 'b', covariate 'promo'"):
        forecast_histories(covariate_model, [covariate_history("b", promo=None)], 7, [80])
    with pytest.raises(ForecastInputError, match="no column for covariates"):
        bare = covariate_history("c").model_copy(update={"covariates": None, "static": None})
        forecast_histories(covariate_model, [bare], 7, [80])
    with pytest.raises(ForecastInputError, match="missing future covariate"):
        explain_histories(covariate_model, [covariate_history("d", promo=None)], 7)


def test_batched_series_keep_their_own_covariates(covariate_model):
    counting = _CountingModel(covariate_model)
    on, off = [True] * COVARIATE_HORIZON, [False] * COVARIATE_HORIZON
    # the same id and history with two futures (two calls), and two series in one request
    jobs = [
        [covariate_history("p000", promo=on)],
        [covariate_history("p000", promo=off), covariate_history("p001", "p001", promo=on)],
    ]
    together = forecast_jobs(counting, jobs, 7, [80])
    alone = [forecast_histories(covariate_model, job, 7, [80]) for job in jobs]
    assert together == alone
    assert len(counting.calls) == 2
    assert _yhat(together[0][0]) != _yhat(together[1][0])


def test_explanations_take_the_covariates_sent(covariate_model):
    on, off = [True] * COVARIATE_HORIZON, [False] * COVARIATE_HORIZON
    [promoted] = explain_histories(covariate_model, [covariate_history("a", promo=on)], 7)
    [plain] = explain_histories(covariate_model, [covariate_history("a", promo=off)], 7)
    assert {"promo", "price", "region", "us_holidays"} <= set(promoted.points[0].contributions)
    assert [p.contributions["promo"] for p in promoted.points] != [
        p.contributions["promo"] for p in plain.points
    ]


def test_covariates_sent_are_bounded_and_aligned():
    from pydantic import ValidationError

    base = covariate_history("a").model_dump()
    with pytest.raises(ValidationError, match="covariate 'price'"):
        SeriesHistory(**{**base, "covariates": {"price": [1.0]}})
    future = {**base["future"], "values": {"promo": [True]}}
    with pytest.raises(ValidationError, match="future covariate 'promo'"):
        SeriesHistory(**{**base, "future": future})
    many = {f"c{i}": 1.0 for i in range(MAX_COVARIATES + 1)}
    with pytest.raises(ValidationError, match="at most"):
        SeriesHistory(**{**base, "static": many})
    with pytest.raises(ValidationError, match="not finite"):
        SeriesHistory(**{**base, "static": {"size": float("inf")}})
