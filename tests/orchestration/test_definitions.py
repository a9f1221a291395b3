"""The code location loads the way the Dagster UI and daemon load it."""

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

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


def test_every_domain_builds_its_definitions_and_definitions_merges_them_all():
    from orchestration import definitions

    domains = sorted(p.parent.name for p in (REPO / "orchestration" / "defs").glob("*/__init__.py"))
    merged = sorted(module.__name__.split(".")[2] for module in definitions.DOMAINS)
    assert merged == domains
    settings = get_settings()
    for module in definitions.DOMAINS:
        assert isinstance(module.build(settings), dg.Definitions), module.__name__


def test_every_job_is_named_in_core_job_names_and_every_name_is_a_job():
    from core import job_names

    names = {getattr(job_names, constant) for constant in job_names.__all__}
    jobs = {job.name for job in build_definitions(get_settings()).resolve_all_job_defs()}
    assert jobs - {"__ASSET_JOB"} == names


@pytest.mark.parametrize("executor", ["in_process", "multiprocess", "k8s"])
def test_the_executor_setting_chooses_how_steps_run(executor):
    from core.settings import load_settings

    settings = load_settings(executor=executor, executor_max_concurrent=3)
    job = build_definitions(settings).resolve_job_def("quantis_pipeline")
    assert job.executor_def.name == executor
    # The executor's own config schema accepts what we configured, and retries stay on.
    resolved = dg.validate_run_config(job, {})["execution"]
    if executor != "in_process":
        assert resolved[executor]["max_concurrent"] == 3
        assert "enabled" in resolved[executor]["retries"]


def test_the_training_step_keeps_its_gpu_pool_tags_and_spot_retries():
    from core.settings import load_settings

    settings = load_settings(executor="k8s", train_gpu_limit=1)
    graph = build_definitions(settings).resolve_asset_graph()
    node = graph.get(dg.AssetKey("trained_model")).assets_def.node_def
    k8s = node.tags["dagster-k8s/config"]
    k8s = json.loads(k8s) if isinstance(k8s, str) else k8s
    assert k8s["pod_spec_config"]["node_selector"] == settings.train_node_selector
    [toleration] = k8s["pod_spec_config"]["tolerations"]
    assert toleration["key"] == settings.train_gpu_toleration_key
    assert k8s["container_config"]["resources"]["limits"] == {"nvidia.com/gpu": "1"}
    assert node.retry_policy.max_retries >= 3
