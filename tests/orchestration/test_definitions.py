"""The code location loads the way the Dagster UI and daemon load it."""

import subprocess
import sys
from pathlib import Path

import dagster as dg

from core.settings import get_settings
from orchestration.definitions import build_definitions

REPO = Path(__file__).resolve().parents[2]


def test_dagster_definitions_validate_passes_on_the_workspace():
    dagster = str(Path(sys.executable).with_name("dagster"))
    result = subprocess.run(
        [dagster, "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_jobs_schedules_and_sensors_are_defined():
    defs = build_definitions(get_settings())
    for job in ("quantis_pipeline", "ingestion", "retrain", "deploy_champion"):
        assert defs.resolve_job_def(job)
    assert {s.name for s in defs.schedules} >= {"ingestion_hourly", "retrain_weekly"}
    assert {s.name for s in defs.sensors} >= {"landing_file_sensor", "retrain_on_new_data"}
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys >= {
        "staged_observations", "observations", "trained_model", "backtest_report",
        "registered_model", "model_bento", "model_deployment",
    }  # fmt: skip
    assert isinstance(defs.resources["deploy_target"], dg.ConfigurableResource)
