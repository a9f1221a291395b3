"""The compute resource: no cluster in process, a LocalCluster per step, an address, the
Kubernetes DaskCluster spec, and the training step's fit from the snapshot on the workers."""

from __future__ import annotations

import io
import logging

import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

import models
from core.settings import load_settings
from models.backtest import ForecastCache
from models.baselines import SeasonalNaiveForecaster
from models.datasets import synthetic_panel
from orchestration.compute import TrainingCompute, dask_cluster_spec, read_snapshot_series
from orchestration.contracts import PanelSnapshot
from orchestration.defs.training.comparison import LEVELS, comparable_panel, compare_methods
from orchestration.defs.training.on_cluster import compare_from_snapshot, fit_from_snapshot
from orchestration.defs.training.placement import training_op_tags
from orchestration.resources import ObjectStorage, build_resources


def _model():
    return models.default_forecaster("MS", 12, 6, num_boost_round=30)


def _snapshot(tmp_path, panel: pd.DataFrame) -> tuple[ObjectStorage, PanelSnapshot]:
    storage = ObjectStorage(url=(tmp_path / "objects").as_uri())
    buffer = io.BytesIO()
    panel.sample(frac=1.0, random_state=0).to_parquet(buffer, index=False)  # rows unordered
    storage.open().put_bytes("panels/p.parquet", buffer.getvalue())
    series = tuple(sorted(panel["unique_id"].unique()))
    snapshot = PanelSnapshot("panels/p.parquet", "f", "MS", 12, series, len(panel), 1.0)
    return storage, snapshot


def test_in_process_is_the_default_and_gives_no_client():
    compute = build_resources(load_settings())["compute"]
    assert compute.in_process
    with compute.client() as client:
        assert client is None


def test_a_worker_reads_only_its_series_of_the_snapshot_sorted(tmp_path):
    panel = synthetic_panel(4, 30, "MS", seed=1)
    storage, snapshot = _snapshot(tmp_path, panel)
    rows = read_snapshot_series(storage.url, None, snapshot.snapshot_key, ["s00001", "s00003"])
    expected = panel[panel["unique_id"].isin(["s00001", "s00003"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, expected, check_dtype=False)


@pytest.mark.slow
def test_a_local_cluster_fits_the_step_from_the_snapshot_as_in_process_and_closes(tmp_path):
    panel = synthetic_panel(8, 84, "MS", seed=2)
    short = panel["unique_id"].isin(["s00002", "s00005"])
    panel = panel[~short | (panel["ds"] >= panel["ds"].min() + pd.DateOffset(months=20))]
    storage, snapshot = _snapshot(tmp_path, panel)
    compute = TrainingCompute(mode="local_cluster", workers=2, threads_per_worker=1)
    with compute.client() as client:
        workers = client.scheduler_info()["workers"].values()
        assert [w["nthreads"] for w in workers] == [1, 1]
        model = _model()
        series, rows = fit_from_snapshot(
            model, compute, client, storage, snapshot, logging.getLogger("test")
        )
        makers = {"challenger": _model, "seasonal_naive": lambda: SeasonalNaiveForecaster("MS", 12)}
        windows = {"h": 6, "n_windows": 2, "step": 6}
        remote_scores, compared = compare_from_snapshot(
            makers, compute, client, storage, snapshot.snapshot_key, snapshot.training_series,
            **windows, min_train=60, season_length=12, levels=LEVELS, progress=lambda _: None,
        )  # fmt: skip
    assert client.status == "closed"
    panel_compared = comparable_panel(panel, **windows, min_train=60)
    assert compared == panel_compared["unique_id"].nunique() < 8  # two series too short
    local_scores = compare_methods(
        makers, panel_compared, **windows, season_length=12, cache=ForecastCache()
    )
    for name, scores in local_scores.items():
        assert remote_scores[name] == pytest.approx(scores, rel=1e-9, abs=1e-9), name
    assert (series, rows) == (8, len(panel))  # every series fitted, the short ones too
    expected = _model().fit(panel).predict(6, [80])
    got = model.predict(6, [80])
    np.testing.assert_allclose(got["yhat"], expected["yhat"], rtol=1e-9)
    np.testing.assert_allclose(got["yhat_hi_80"], expected["yhat_hi_80"], rtol=1e-9)


def test_an_address_connects_to_a_running_cluster_and_leaves_it_running():
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        compute = TrainingCompute(mode=cluster.scheduler_address)
        with compute.client() as client:
            assert client.scheduler.address == cluster.scheduler_address
        with Client(cluster.scheduler_address) as again:
            assert len(again.scheduler_info()["workers"]) == 1


def test_settings_refuse_an_unknown_compute():
    with pytest.raises(ValueError, match="compute must be"):
        load_settings(compute="ray")
    assert load_settings(compute="tcp://scheduler:8786").compute == "tcp://scheduler:8786"


@pytest.mark.parametrize("gpus", [1, 0])
def test_kubernetes_workers_land_where_the_training_pod_does(gpus):
    selector = {"quantis.io/pool": "gpu-spot"}
    spec = dask_cluster_spec(
        "quantis-train-x",
        image="quantis-dagster:1",
        workers=3,
        threads_per_worker=1,
        memory="6Gi",
        node_selector=selector,
        gpu_toleration_key="nvidia.com/gpu",
        gpu_limit=gpus,
    )
    pod = training_op_tags(selector, "nvidia.com/gpu", gpus)["dagster-k8s/config"]
    worker = spec["spec"]["worker"]
    assert spec["kind"] == "DaskCluster" and worker["replicas"] == 3
    assert worker["spec"]["nodeSelector"] == pod["pod_spec_config"]["node_selector"]
    assert worker["spec"].get("tolerations") == pod["pod_spec_config"].get("tolerations")
    limits = worker["spec"]["containers"][0]["resources"]["limits"]
    assert limits.get("nvidia.com/gpu") == (str(gpus) if gpus else None)
    assert limits["memory"] == "6Gi"
    scheduler = spec["spec"]["scheduler"]["spec"]
    assert "nodeSelector" not in scheduler  # the scheduler stays off the spot pool
    assert spec["metadata"]["labels"] == {"quantis.io/compute": "dask"}
