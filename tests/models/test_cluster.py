"""The default model on a Dask LocalCluster gives what it gives in one process.

Tolerances: with LightGBM trained on one worker the features, the trees and every statistical
member are computed from the same numbers as in one process, so forecasts agree to 1e-9
relative (only the order of float sums, e.g. a mean over series, may differ). With
`lightgbm.dask` (data-parallel) LightGBM bins each feature from one worker's rows: the trees
differ a little, and the scores are compared to 5% relative.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

import models
from models.backtest import ForecastCache, backtest
from models.baselines import SeasonalNaiveForecaster
from models.cluster import (
    SeriesPartitions,
    backtest_on_cluster,
    fit_combined_on_cluster,
)
from models.combined import CombinedForecaster
from models.datasets import retail_panel, synthetic_panel
from models.metrics import aggregate_metrics, per_series_metrics

pytestmark = pytest.mark.slow  # two worker processes compile statsforecast (numba) once each

EXACT = {"rtol": 1e-9, "atol": 1e-9}
APPROX = {"rel": 1e-9, "abs": 1e-9}
LEVELS = (80, 95)


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with Client(cluster) as connected:
        yield connected
    cluster.close()


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return synthetic_panel(9, 84, "MS", seed=5)


def _model(**overrides) -> CombinedForecaster:
    return models.default_forecaster("MS", 12, 6, num_boost_round=30, **overrides)


# every series in the selection backtest, or a sample of 4 of the 9 (spread over the parts)
@pytest.mark.parametrize("selection_series", [None, 4])
def test_fit_on_a_local_cluster_equals_the_fit_in_one_process(client, panel, selection_series):
    local = _model(selection_series=selection_series).fit(panel)
    parts = SeriesPartitions.scatter(client, panel, n_parts=3)
    remote = fit_combined_on_cluster(_model(selection_series=selection_series), parts)

    assert remote.members_ == local.members_
    assert remote.selection_scores_ == pytest.approx(local.selection_scores_, **APPROX)
    np.testing.assert_array_equal(remote.intervals_.steps, local.intervals_.steps)
    np.testing.assert_allclose(remote.intervals_.scores, local.intervals_.scores, **EXACT)
    expected, got = local.predict(6, LEVELS), remote.predict(6, LEVELS)
    pd.testing.assert_frame_equal(got[["unique_id", "ds"]], expected[["unique_id", "ds"]])
    for column in expected.columns.drop(["unique_id", "ds"]):
        np.testing.assert_allclose(got[column], expected[column], **EXACT)


def test_fitted_on_a_cluster_it_saves_and_serves_as_in_one_process(client, panel, tmp_path):
    remote = fit_combined_on_cluster(_model(), SeriesPartitions.scatter(client, panel, 2))
    remote.save(tmp_path / "model")
    restored = CombinedForecaster.load(tmp_path / "model")
    history = panel[panel["unique_id"] == "s00002"]
    np.testing.assert_allclose(
        restored.predict(6, history=history)["yhat"],
        _model().fit(panel).predict(6, history=history)["yhat"],
        **EXACT,
    )


def test_backtest_scores_on_a_cluster_equal_those_in_one_process(client, panel):
    makers = {
        "challenger": _model,
        "seasonal_naive": lambda: SeasonalNaiveForecaster("MS", 12),
    }
    cache = ForecastCache()  # as the pipeline's backtest: the same scores as refitting
    local = {
        name: aggregate_metrics(
            per_series_metrics(
                backtest(make, panel, h=6, n_windows=2, step=6, levels=LEVELS, cache=cache),
                panel,
                season_length=12,
                levels=LEVELS,
            )
        )
        for name, make in makers.items()
    }
    parts = SeriesPartitions.scatter(client, panel, n_parts=2)
    for name, make in makers.items():
        remote = backtest_on_cluster(
            make, parts, h=6, n_windows=2, step=6, season_length=12, levels=LEVELS
        )
        assert remote == pytest.approx(local[name], **APPROX), name


def test_data_parallel_lightgbm_scores_close_to_one_process(client, panel):
    train = panel.groupby("unique_id").head(78)
    test = panel.groupby("unique_id").tail(6)
    scores = {}
    for way in ("one_worker", "data_parallel"):
        parts = SeriesPartitions.scatter(client, train, n_parts=2)
        model = fit_combined_on_cluster(_model(), parts, lightgbm=way)
        forecasts = test.merge(model.predict(6), on=["unique_id", "ds"])
        scores[way] = aggregate_metrics(per_series_metrics(forecasts, train, season_length=12))
    assert scores["data_parallel"]["mase"] == pytest.approx(scores["one_worker"]["mase"], rel=0.05)


def test_a_bad_part_fails_the_fit_with_the_validation_error(client, panel):
    broken = panel.copy()
    broken.loc[broken.index[3], "ds"] += pd.Timedelta(days=3)  # off the monthly grid
    with pytest.raises(models.PanelValidationError):
        fit_combined_on_cluster(_model(), SeriesPartitions.scatter(client, broken, 2))


# -- covariates ----------------------------------------------------------------------------
def _retail() -> tuple[pd.DataFrame, tuple[dict, ...]]:
    """A daily panel with promotions, prices, a static region whose categories are not
    declared (each of the three parts holds one region only: the categories must be the whole
    panel's) and a holiday calendar."""
    retail = retail_panel(n_series=6, length=112, seed=2)
    panel = retail.panel.assign(
        region=np.where(retail.panel["unique_id"] < "p002", "north", "south")
    )
    panel.loc[panel["unique_id"] >= "p004", "region"] = "west"
    return panel, retail.covariates


def _covariate_model(covariates) -> CombinedForecaster:
    return models.default_forecaster("D", 7, 7, num_boost_round=30, covariates=covariates)


def test_with_covariates_the_cluster_fit_forecasts_as_the_fit_in_one_process(client):
    panel, covariates = _retail()
    train = panel.groupby("unique_id").head(105)
    future = panel.groupby("unique_id").tail(7)[["unique_id", "ds", "promo", "price"]]
    local = _covariate_model(covariates).fit(train)
    remote = fit_combined_on_cluster(
        _covariate_model(covariates), SeriesPartitions.scatter(client, train, n_parts=3)
    )

    assert remote.members_ == local.members_
    assert remote.selection_scores_ == pytest.approx(local.selection_scores_, **APPROX)
    lightgbm = remote._models["lightgbm"]
    assert lightgbm.categories_ == {"region": ["north", "south", "west"]}
    expected = local.predict(7, LEVELS, future=future)
    got = remote.predict(7, LEVELS, future=future)
    pd.testing.assert_frame_equal(got[["unique_id", "ds"]], expected[["unique_id", "ds"]])
    for column in expected.columns.drop(["unique_id", "ds"]):
        np.testing.assert_allclose(got[column], expected[column], **EXACT)
    # the future values are used: a promotion switched on changes the forecast
    switched = remote.predict(7, future=future.assign(promo=1.0))
    assert not np.allclose(switched["yhat"], got["yhat"])


def test_with_covariates_backtest_scores_on_a_cluster_equal_those_in_one_process(client):
    panel, covariates = _retail()
    make = functools.partial(_covariate_model, covariates)
    local = aggregate_metrics(
        per_series_metrics(
            backtest(make, panel, h=7, n_windows=2, step=7, levels=LEVELS),
            panel,
            season_length=7,
            levels=LEVELS,
        )
    )
    remote = backtest_on_cluster(
        make, SeriesPartitions.scatter(client, panel, n_parts=3),
        h=7, n_windows=2, step=7, season_length=7, levels=LEVELS,
    )  # fmt: skip
    assert remote == pytest.approx(local, **APPROX)
