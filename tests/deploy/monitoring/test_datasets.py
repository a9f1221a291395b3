"""Per-dataset monitoring: what belongs to one dataset keeps its `dataset` label from the
gauge to the alert (one alert per dataset, naming it) and to the dashboards (a `dataset`
variable selects the datasets shown). The promtool cases (deploy/monitoring/tests/) check the
alerts' labels and texts with two datasets."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from monitoring_files import MONITORING
from promql_names import metric_names

from api.operational_metrics import DATASET_GAUGES

RULES = MONITORING / "rules" / "quantis.rules.yml"
DASHBOARDS = sorted((MONITORING / "grafana" / "dashboards").glob("*.json"))
DATASET_VARIABLE_QUERY = "label_values(quantis_champion_backtest_mase, dataset)"
# `$dataset`, or (`$dataset|`) also the platform's runs, which carry no dataset.
_SELECTS_THE_VARIABLE = re.compile(r'dataset=~"\$dataset\|?"')
_GROUPING = re.compile(r"\b(by|without|on|ignoring)\s*\(([^)]*)\)")


def _labelled(name: str) -> bool:
    """Whether the samples of `name` carry `dataset`: the API's per-dataset gauges and its
    forecast counter, and every model-server metric (bentos/metrics.py labels them all)."""
    return (
        name in DATASET_GAUGES
        or name == "quantis_api_forecasts_total"
        or (name.startswith("quantis_model_"))
    )


def _rules() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _recorded_per_dataset() -> set[str]:
    return {
        rule["record"]
        for rule in _rules()
        if "record" in rule and any(map(_labelled, metric_names(rule["expr"])))
    }


def _reads_a_dataset(expr: str) -> bool:
    recorded = _recorded_per_dataset()
    return any(_labelled(name) or name in recorded for name in metric_names(expr))


def _drops_the_dataset(expr: str) -> list[str]:
    """The aggregations and vector matchings of `expr` that would lose `dataset`: `by` or
    `on` lists without it, `without` or `ignoring` lists with it (except where the other
    side is a platform-wide gauge that has no dataset, matched `group_left`)."""
    dropped = []
    for match in _GROUPING.finditer(expr):
        keyword, labels = match.group(1), {x.strip() for x in match.group(2).split(",")}
        after = expr[match.end() :].lstrip()
        if keyword in {"by", "on"} and "dataset" not in labels:
            dropped.append(match.group(0))
        if keyword == "without" and "dataset" in labels:
            dropped.append(match.group(0))
        if keyword == "ignoring" and "dataset" in labels and not after.startswith("group_left"):
            dropped.append(match.group(0))
    return dropped


def test_the_per_dataset_recording_rules_keep_the_dataset():
    rules = [r for r in _rules() if "record" in r and r["record"] in _recorded_per_dataset()]
    assert {r["record"] for r in rules} >= {
        "job:quantis_champion_live_to_backtest_mase:ratio",
        "job_dataset:quantis_model_forecast_latency_seconds:p99_5m",
    }
    for rule in rules:
        assert _drops_the_dataset(rule["expr"]) == [], rule["record"]


PER_DATASET_ALERTS = [
    rule for rule in _rules() if "alert" in rule and _reads_a_dataset(rule["expr"])
]


def test_the_alerts_on_a_dataset_s_health_are_per_dataset():
    assert {rule["alert"] for rule in PER_DATASET_ALERTS} == {
        "QuantisDataStale", "QuantisPipelineRunFailed", "QuantisLiveAccuracyDegraded",
        "QuantisModelServerHighLatency",
    }  # fmt: skip


@pytest.mark.parametrize("alert", PER_DATASET_ALERTS, ids=lambda a: a["alert"])
def test_a_per_dataset_alert_keeps_and_names_its_dataset(alert):
    assert _drops_the_dataset(alert["expr"]) == []
    for text in ("summary", "description"):
        assert "$labels.dataset" in alert["annotations"][text], text


def test_the_dataset_check_sees_a_dropped_dataset():
    assert _drops_the_dataset("sum by (job, le) (rate(x_bucket[5m]))") == ["by (job, le)"]
    assert _drops_the_dataset("a > ignoring(dataset) b") == ["ignoring(dataset)"]
    assert _drops_the_dataset("a > ignoring(dataset, version) group_left b") == []


def _boards() -> list[dict]:
    return [json.loads(path.read_text()) for path in DASHBOARDS]


def _dataset_targets(board: dict) -> list[tuple[str, dict]]:
    return [
        (panel["title"], target)
        for panel in board["panels"]
        for target in panel["targets"]
        if _reads_a_dataset(target["expr"])
    ]


@pytest.mark.parametrize("board", _boards(), ids=lambda b: b["uid"])
def test_a_dashboard_with_per_dataset_panels_has_a_dataset_variable_they_use(board):
    targets = _dataset_targets(board)
    variables = {v["name"]: v for v in board["templating"]["list"]}
    if not targets:  # the platform's only (backups)
        assert "dataset" not in variables
        return
    variable = variables["dataset"]
    assert variable["type"] == "query" and variable["query"] == DATASET_VARIABLE_QUERY
    assert variable["multi"] is True and variable["includeAll"] is True
    assert variable["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    for title, target in targets:
        assert _SELECTS_THE_VARIABLE.search(target["expr"]), title
        assert _drops_the_dataset(target["expr"]) == [], title
        assert "{{dataset}}" in target["legendFormat"], title


def test_the_per_dataset_dashboards_are_those_expected():
    with_variable = {
        board["uid"]
        for board in _boards()
        if any(v["name"] == "dataset" for v in board["templating"]["list"])
    }
    assert with_variable == {
        "quantis-accuracy", "quantis-api", "quantis-model-server", "quantis-pipeline-and-data",
    }  # fmt: skip
