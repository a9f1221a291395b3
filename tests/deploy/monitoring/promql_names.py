"""The metric names a PromQL expression reads, and the expressions of our rules and dashboards.

A small scanner, not a PromQL parser: it drops string literals, label matchers, range
selectors and grouping clauses, then keeps identifiers that are not functions, keywords or
number parts. Its own tests (test_metric_names.py) pin what it finds in each construct we use.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

__all__ = ["dashboard_exprs", "metric_names", "recorded_names", "rule_exprs"]

_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
             "group_right", "bool", "offset", "inf", "nan"}  # fmt: skip
_IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        name, before = match.group(0), text[: match.start()]
        if name.lower() in _KEYWORDS or text[match.end() :].lstrip().startswith("("):
            continue
        if before and (before[-1].isdigit() or before[-1] == "."):
            continue  # the exponent of a number such as 2e3
        names.add(name)
    return names


def _rules(rules_file: Path) -> list[dict]:
    return [
        rule
        for group in yaml.safe_load(rules_file.read_text())["groups"]
        for rule in group["rules"]
    ]


def rule_exprs(rules_file: Path) -> dict[str, str]:
    return {rule.get("alert") or rule["record"]: rule["expr"] for rule in _rules(rules_file)}


def recorded_names(rules_file: Path) -> set[str]:
    return {rule["record"] for rule in _rules(rules_file) if "record" in rule}


_LABEL_VALUES = re.compile(r"label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*,\s*\w+\s*\)")


def dashboard_exprs(dashboard: Path) -> dict[str, str]:
    """The expression of every panel target, and the metric of every query variable (read
    with `label_values(metric, label)`, the only variable query the dashboards use)."""
    board = json.loads(dashboard.read_text())
    exprs = {
        f"{board['uid']}/{panel['title']}/{target['refId']}": target["expr"]
        for panel in board["panels"]
        for target in panel.get("targets", [])
    }
    for variable in board["templating"]["list"]:
        if variable["type"] != "query":
            continue
        found = _LABEL_VALUES.fullmatch(variable["query"])
        if found is None:
            raise ValueError(f"{dashboard.name}: variable {variable['name']}: not label_values()")
        exprs[f"{board['uid']}/variable {variable['name']}"] = found.group(1)
    return exprs
