"""deploy/helm/prometheus-adapter-values.yaml publishes exactly the custom metric model-hpa
scales on, computed from a counter the model server really exports."""

from __future__ import annotations

import re

import yaml
from manifests import REPO_ROOT, render
from prometheus_client import CollectorRegistry, generate_latest

from bentos.metrics import server_metrics

VALUES_FILE = REPO_ROOT / "deploy" / "helm" / "prometheus-adapter-values.yaml"


def _hpa_metric() -> str:
    hpa = render("base").get("HorizontalPodAutoscaler", "model-hpa")
    [pods] = [m["pods"] for m in hpa["spec"]["metrics"] if m["type"] == "Pods"]
    return pods["metric"]["name"]


def test_adapter_rule_names_the_hpas_metric_from_the_servers_counter():
    values = yaml.safe_load(VALUES_FILE.read_text())
    assert values["rules"]["default"] is False
    [rule] = values["rules"]["custom"]
    series = re.match(r"^([a-z_]+)\{", rule["seriesQuery"])[1]
    # prometheus-adapter's `as` uses Go's ${1} for the first group of `matches`.
    published = re.sub(rule["name"]["matches"], rule["name"]["as"].replace("${1}", r"\1"), series)
    assert published == _hpa_metric()
    assert set(rule["resources"]["overrides"]) == {"namespace", "pod"}
    assert "rate(<<.Series>>" in rule["metricsQuery"]

    registry = CollectorRegistry()
    registry.register(server_metrics().requests)
    exposition = generate_latest(registry).decode()
    assert f"# TYPE {series} counter" in exposition


def test_cpu_is_the_model_servers_fallback_metric():
    hpa = render("base").get("HorizontalPodAutoscaler", "model-hpa")
    kinds = [(m["type"], m.get("resource", {}).get("name")) for m in hpa["spec"]["metrics"]]
    assert kinds == [("Pods", None), ("Resource", "cpu")]
