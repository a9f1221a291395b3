"""The Prometheus rules: promtool checks them and runs their unit tests; every alert has a
case where it fires and one where it does not, its labels, annotations and a real runbook."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml
from monitoring_files import MONITORING

RULES = MONITORING / "rules" / "quantis.rules.yml"
RULE_TESTS = MONITORING / "tests" / "quantis.rules.test.yml"
REPO = MONITORING.parents[1]


def _promtool(*args: str) -> subprocess.CompletedProcess:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: scripts/ensure_prometheus.sh installs it"
    return subprocess.run(
        [promtool, *args], cwd=MONITORING, capture_output=True, text=True, timeout=120
    )


def _alerts() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_promtool_check_rules_passes():
    result = _promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass():
    result = _promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test_rules_can_fail(tmp_path):
    """A wrong expectation is reported, so the passing run above means something."""
    suite = yaml.safe_load(RULE_TESTS.read_text())
    suite["rule_files"] = [str(RULES)]
    case = suite["tests"][0]["alert_rule_test"][0]
    case["exp_alerts"] = [{"exp_labels": {"severity": "critical"}}]
    broken = tmp_path / "broken.test.yml"
    broken.write_text(yaml.safe_dump(suite))
    assert _promtool("test", "rules", str(broken)).returncode != 0


def test_every_alert_has_a_firing_and_a_quiet_case():
    cases = [
        case
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    ]
    for alert in _alerts():
        mine = [case for case in cases if case["alertname"] == alert["alert"]]
        assert any(case["exp_alerts"] for case in mine), f"{alert['alert']} never fires"
        assert any(not case["exp_alerts"] for case in mine), f"{alert['alert']} never stays quiet"


@pytest.mark.parametrize("alert", _alerts(), ids=lambda a: a["alert"])
def test_alert_has_for_severity_annotations_and_a_runbook(alert):
    assert alert.get("for"), "one blip must not page"
    assert alert["labels"]["severity"] in {"critical", "warning"}
    assert {"summary", "description", "runbook_url"} <= set(alert["annotations"])
    path, _, anchor = alert["annotations"]["runbook_url"].partition("#")
    runbook = REPO / path
    assert path.startswith("docs/runbooks/") and runbook.is_file(), path
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in runbook.read_text().splitlines()
        if line.startswith("#")
    }
    assert anchor in headings, f"{path} has no heading for #{anchor}"


def test_the_issue_s_alerts_are_all_there():
    names = {alert["alert"] for alert in _alerts()}
    assert names >= {
        "QuantisApiDown", "QuantisModelServerDown", "QuantisApiHighErrorRate",
        "QuantisApiHighLatency", "QuantisModelServerUnavailableFromApi", "QuantisDataStale",
        "QuantisPipelineRunFailed", "QuantisBackupTooOld", "QuantisDrDrillFailed",
        "QuantisLiveAccuracyDegraded",
    }  # fmt: skip
