"""The whole asset graph, in-process, on a small panel: landing files to a served model."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
from sqlalchemy import func, select

from core.db.engine import make_engine, session_scope
from core.db.tables import Observation, QuarantinedRow, Series
from core.registry import ModelRegistry
from models.datasets import synthetic_panel
from tests.orchestration.conftest import PIPELINE_ASSETS as ASSETS
from tests.orchestration.conftest import forecast_from, post_json

pytestmark = pytest.mark.slow


def _count(settings, model) -> int:
    with session_scope(make_engine(settings.database_url)) as session:
        return session.scalar(select(func.count()).select_from(model))


def _metadata(result, asset: str) -> dict:
    [event] = result.asset_materializations_for_node(asset)
    return {key: value.value for key, value in event.metadata.items()}


def test_full_graph_serves_a_model_and_a_rerun_adds_nothing(
    pipeline_settings, landing, run_job, tmp_path
):
    panel = synthetic_panel(8, 72, "MS", seed=3)
    panel.to_csv(landing / "panel.csv", index=False)

    first = run_job()
    assert first.success
    for asset in ASSETS:
        assert first.asset_materializations_for_node(asset), f"{asset} not materialized"
    checks = first.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
    assert _count(pipeline_settings, Observation) == len(panel)

    registry = ModelRegistry(
        pipeline_settings.mlflow_tracking_uri, pipeline_settings.registered_model_name
    )
    champion = registry.champion()
    assert champion is not None and champion.version == "1"
    # The statistical members were estimated with the setting's worker processes.
    assert _metadata(first, "trained_model")["member_jobs"] == pipeline_settings.train_jobs == 2
    assert champion.decision["promote"] is True
    # The champion's feature-group importance is logged with it: shares of all gain, as metrics
    # and an artifact that agree.
    importance = mlflow.artifacts.download_artifacts(
        run_id=champion.run_id, artifact_path="feature_importance.json",
        tracking_uri=pipeline_settings.mlflow_tracking_uri, dst_path=str(tmp_path),
    )  # fmt: skip
    rows = json.loads(Path(importance).read_text())
    assert rows[0]["group"] == "history" and sum(r["share"] for r in rows) == pytest.approx(1)
    metrics = registry.client.get_run(champion.run_id).data.metrics
    assert {r["group"]: r["share"] for r in rows} == {
        name.removeprefix("importance_share_"): value
        for name, value in metrics.items()
        if name.startswith("importance_share_")
    }

    endpoint = _metadata(first, "model_deployment")["endpoint_url"]
    info = post_json(f"{endpoint}/model_info", {})
    assert info["version"] == "1"
    [forecast] = forecast_from(endpoint, panel[panel["unique_id"] == panel["unique_id"].iloc[0]])
    assert len(forecast["points"]) == 6
    point = forecast["points"][0]
    assert point["lower"]["95"] <= point["lower"]["80"] <= point["yhat"] <= point["upper"]["80"]

    second = run_job()
    assert second.success
    assert _metadata(second, "staged_observations")["rows_in"] == 0
    assert _metadata(second, "observations")["rows_inserted"] == 0
    assert _count(pipeline_settings, Observation) == len(panel)
    # Same data and configuration: the new version does not beat the champion, which keeps
    # serving from the same running server.
    assert _metadata(second, "registered_model")["promoted"] is False
    assert registry.champion().version == "1"
    assert _metadata(second, "model_deployment")["reused"] is True


def test_bad_rows_stop_the_run_before_training_and_are_all_accounted_for(
    pipeline_settings, landing, run_job
):
    panel = synthetic_panel(4, 40, "MS", seed=1)
    text = panel.astype({"y": str, "ds": str})
    text.loc[[3, 10, 17, 44, 61, 90], "y"] = "not-a-number"
    text.loc[[5, 25, 70], "ds"] = "yesterday"
    text.loc[[30, 120], "unique_id"] = ""  # 11 of 160 rows bad: above the 5% threshold
    text.to_csv(landing / "bad.csv", index=False)
    (landing / "garbage.parquet").write_bytes(b"definitely not parquet")

    result = run_job()
    assert not result.success
    assert not result.asset_materializations_for_node("trained_model")
    failed = {c.check_name for c in result.get_asset_check_evaluations() if not c.passed}
    assert failed == {"value_numeric", "timestamp_valid", "series_id_not_null"}
    staged = _metadata(result, "staged_observations")
    assert staged["rows_in"] == len(panel) == staged["good_rows"] + staged["quarantined_rows"]
    assert staged["quarantined_rows"] == 11 == _count(pipeline_settings, QuarantinedRow)
    assert _count(pipeline_settings, Observation) == 0  # nothing loaded from a stopped run
    quarantined_file = landing / "_quarantine" / "garbage.parquet"
    assert quarantined_file.exists() and not (landing / "garbage.parquet").exists()
    assert "cannot parse" in (landing / "_quarantine" / "garbage.parquet.reason.txt").read_text()


def test_a_few_bad_rows_below_the_threshold_warn_but_do_not_block(
    pipeline_settings, landing, run_job
):
    panel = synthetic_panel(30, 30, "MS", seed=2)
    text = panel.astype({"y": str})
    text.loc[7, "y"] = "oops"  # 1 of 900 rows, and 1 of 30 series left with a gap: < 5%
    text.to_csv(landing / "mostly-good.csv", index=False)
    result = run_job("ingestion", run_config={})
    assert result.success
    [numeric] = [c for c in result.get_asset_check_evaluations() if c.check_name == "value_numeric"]
    assert not numeric.passed and numeric.severity.value == "WARN"
    assert _count(pipeline_settings, Observation) == len(panel) - 1
    [gaps] = [
        c for c in result.get_asset_check_evaluations() if c.check_name == "regular_frequency"
    ]
    assert not gaps.passed and gaps.severity.value == "WARN"
    assert gaps.metadata["failed_series"].value == 1
    # Ingestion records the frequency it inferred, on the series regular at it.
    with session_scope(make_engine(pipeline_settings.database_url)) as session:
        frequencies = dict(session.execute(select(Series.name, Series.frequency)).all())
    [gapped] = [name for name, freq in frequencies.items() if freq is None]
    assert gapped == panel.loc[7, "unique_id"]
    assert set(frequencies.values()) == {"MS", None} and len(frequencies) == 30
