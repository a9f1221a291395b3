"""Hand-off records: references only, shown field by field in the Dagster UI."""

from __future__ import annotations

import dataclasses
import pickle

import dagster as dg
import pytest

from core.settings import get_settings
from orchestration import contracts
from orchestration.contracts import (
    BuiltBento,
    LocalPathError,
    PanelSnapshot,
    StagedBatch,
    TrainedModel,
)
from orchestration.definitions import build_definitions


def _trained(**changes) -> TrainedModel:
    fields = {
        "run_id": "0a1b",
        "model_uri": "models:/m-0a1b",
        "fingerprint": "f" * 64,
        "snapshot_key": "panels/20240101T000000Z-run.parquet",
        "freq": "MS",
        "season_length": 12,
        "horizon": 24,
    }
    return TrainedModel(**(fields | changes))


@pytest.mark.parametrize(
    "path",
    ["/work/quantis/.quantis/work/models/run", "file:///tmp/model", "./model", "~/model"],
)
def test_a_local_path_is_refused_with_the_field_named(path):
    with pytest.raises(LocalPathError, match=r"TrainedModel\.model_uri .* local path"):
        _trained(model_uri=path)


def test_local_paths_are_found_inside_collections_too():
    with pytest.raises(LocalPathError, match=r"StagedBatch\.files"):
        StagedBatch("staging/r.parquet", ("landing/a.csv", "/tmp/b.csv"), 2, 2, 0)
    with pytest.raises(LocalPathError, match=r"BacktestReport\.results"):
        contracts.BacktestReport("r", {"challenger": {"model_dir": "/tmp/x"}}, None, 1, 1)


def test_records_are_frozen_and_pickle_round_trip():
    trained = _trained()
    with pytest.raises(dataclasses.FrozenInstanceError):
        trained.run_id = "other"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(trained)) == trained


def test_every_field_is_asset_metadata_and_long_collections_are_summarised():
    series = tuple(f"s{i}" for i in range(30))
    snapshot = PanelSnapshot("panels/p.parquet", "abc", "MS", 12, series, 5, 0.25)
    shown = snapshot.metadata()
    assert set(shown) == {f.name for f in dataclasses.fields(PanelSnapshot)}
    assert shown["snapshot_key"] == "panels/p.parquet" and shown["new_row_share"] == 0.25
    assert shown["training_series"].startswith("30 entries: s0, s1")
    bento = BuiltBento("svc:1", "m:1", "3", "bentos/m/3/svc-1.bento")
    assert bento.metadata()["image"] == "none"
    assert isinstance(snapshot.metadata() | {"extra": 1}, dict)
    short = StagedBatch("staging/r.parquet", ("landing/a.csv",), 1, 1, 0).metadata()
    assert isinstance(short["files"], dg.JsonMetadataValue)


def test_every_pipeline_asset_returns_a_contract():
    """The annotations say what each asset hands on; none hands on a bare dict."""
    defs = build_definitions(get_settings())
    graph = defs.resolve_asset_graph()
    returned = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key).assets_def.node_def
        output = node.output_defs[0]
        returned[key.to_user_string()] = output.dagster_type.typing_type
    pipeline = {
        "staged_observations": contracts.StagedBatch,
        "observations": contracts.PanelSnapshot,
        "trained_model": contracts.TrainedModel,
        "backtest_report": contracts.BacktestReport,
        "registered_model": contracts.RegistrationDecision,
        "model_bento": contracts.BuiltBento,
        "model_deployment": contracts.Rollout,
    }
    for asset, record in pipeline.items():
        assert returned[asset] is record, asset
