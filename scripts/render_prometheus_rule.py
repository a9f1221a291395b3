"""Print deploy/monitoring/kubernetes/prometheusrule.yaml: the groups of the Prometheus rules
file wrapped in a PrometheusRule for kube-prometheus-stack.

    .venv/bin/python scripts/render_prometheus_rule.py > deploy/monitoring/kubernetes/prometheusrule.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

MONITORING = Path(__file__).resolve().parents[1] / "deploy" / "monitoring"
HEADER = """\
# The groups of ../rules/quantis.rules.yml as a PrometheusRule for kube-prometheus-stack.
# Generated: edit the rules file, then run
#   .venv/bin/python scripts/render_prometheus_rule.py > deploy/monitoring/kubernetes/prometheusrule.yaml
# (tests/deploy/monitoring/test_kubernetes.py fails while the two differ).
"""


def render() -> str:
    rules = yaml.safe_load((MONITORING / "rules" / "quantis.rules.yml").read_text())
    document = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "quantis"},
        "spec": {"groups": rules["groups"]},
    }
    return HEADER + yaml.safe_dump(document, sort_keys=False, width=100)


if __name__ == "__main__":
    sys.stdout.write(render())
