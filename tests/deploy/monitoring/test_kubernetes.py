"""The kube-prometheus-stack folder: renders with kustomize, carries exactly the rules file's
groups, and its ServiceMonitors select the base's Services on a port they have."""

from __future__ import annotations

import subprocess
import sys

import yaml
from monitoring_files import MONITORING

REPO = MONITORING.parents[1]


def _render(folder) -> list[dict]:
    result = subprocess.run(
        [str(REPO / "scripts" / "kubectl.sh"), "kustomize", str(folder)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def test_prometheus_rule_is_the_rules_file():
    rendered = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "render_prometheus_rule.py")],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    committed = (MONITORING / "kubernetes" / "prometheusrule.yaml").read_text()
    assert committed == rendered, "run scripts/render_prometheus_rule.py"
    rules = yaml.safe_load((MONITORING / "rules" / "quantis.rules.yml").read_text())
    assert yaml.safe_load(committed)["spec"]["groups"] == rules["groups"]


def test_service_monitors_select_base_services_by_port_name():
    monitoring = _render(MONITORING / "kubernetes")
    base = _render(REPO / "deploy" / "kubernetes" / "base")
    services = [d for d in base if d["kind"] == "Service"]
    monitors = [d for d in monitoring if d["kind"] == "ServiceMonitor"]
    assert {m["metadata"]["name"] for m in monitors} == {"quantis-api", "quantis-model-server"}
    jobs = set()
    for monitor in monitors:
        assert monitor["metadata"]["namespace"] == "quantis"
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        wanted = monitor["spec"]["selector"]["matchLabels"]
        [service] = [
            s for s in services if wanted.items() <= (s["metadata"].get("labels") or {}).items()
        ]
        [endpoint] = monitor["spec"]["endpoints"]
        assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
        assert endpoint["path"] == "/metrics"
        jobs |= {r["replacement"] for r in endpoint["relabelings"] if r["targetLabel"] == "job"}
    assert jobs == {"quantis-api", "quantis-model-server"}  # the names the rules use
    [rule] = [d for d in monitoring if d["kind"] == "PrometheusRule"]
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_compose_prometheus_scrapes_both_services_with_our_rules():
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    assert config["rule_files"] == ["rules/quantis.rules.yml"]
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    assert targets == {"quantis-api": ["api:8000"], "quantis-model-server": ["model-server:8001"]}
    assert {"api", "model-server"} <= set(compose)
