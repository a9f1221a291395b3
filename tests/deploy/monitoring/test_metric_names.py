"""Every metric a rule or dashboard reads is exported by the running API or model server
(scraped here), or recorded by our rules; every dashboard parses."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from monitoring_files import MONITORING
from promql_names import dashboard_exprs, metric_names, recorded_names, rule_exprs

RULES = MONITORING / "rules" / "quantis.rules.yml"
DASHBOARDS = sorted((MONITORING / "grafana" / "dashboards").glob("*.json"))
PROMETHEUS_OWN = {"up"}  # written by Prometheus for every target


def test_scanner_finds_metrics_and_skips_the_rest():
    expr = (
        'histogram_quantile(0.99, sum by (job, le) (rate(a_bucket{job="x", le=~"1|2"}[5m])))'
        " / ignoring(version) group_left b > 2e3 and on(job) c:rec:ratio"
        " or time() - d_seconds offset 5m > bool 1"
    )
    assert metric_names(expr) == {"a_bucket", "b", "c:rec:ratio", "d_seconds"}


_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]", re.MULTILINE)


def _exported(url: str) -> set[str]:
    """Sample names as written: prometheus_client's parser lost the latency buckets of the
    model server's (BentoML multiprocess) output, so the lines are read directly."""
    return set(_SAMPLE.findall(httpx.get(f"{url}/metrics", timeout=30).text))


@pytest.fixture(scope="module")
def exported(monitored_stack) -> set[str]:
    return _exported(monitored_stack.api_url) | _exported(monitored_stack.model_server.url)


def _unknown(exprs: dict[str, str], known: set[str]) -> dict[str, set[str]]:
    return {
        where: names - known for where, e in exprs.items() if (names := metric_names(e)) - known
    }


def test_rules_read_only_exported_or_recorded_metrics(exported):
    known = exported | recorded_names(RULES) | PROMETHEUS_OWN
    assert _unknown(rule_exprs(RULES), known) == {}


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_parses_and_reads_only_exported_metrics(dashboard, exported):
    board = json.loads(dashboard.read_text())
    assert board["uid"] == dashboard.stem and board["title"].startswith("Quantis / ")
    assert board["panels"] and all(panel["targets"] for panel in board["panels"])
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    known = exported | recorded_names(RULES) | PROMETHEUS_OWN
    assert _unknown(dashboard_exprs(dashboard), known) == {}


def test_the_issue_s_dashboards_exist():
    assert {p.stem for p in DASHBOARDS} == {
        "quantis-api", "quantis-model-server", "quantis-pipeline-and-data",
        "quantis-accuracy", "quantis-backups",
    }  # fmt: skip


def test_the_operational_gauges_are_all_exported(exported):
    from api.operational_metrics import OPERATIONAL_METRICS

    assert set(OPERATIONAL_METRICS) - exported == set()
