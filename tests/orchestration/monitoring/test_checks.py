"""Verdicts of the monitoring checks at and around their thresholds."""

from __future__ import annotations

from orchestration.defs.monitoring.checks import (
    accuracy_verdicts,
    coverage_verdicts,
    degraded_streak,
)


def test_accuracy_is_degraded_only_above_the_limit():
    verdicts = accuracy_verdicts(
        {"1": 1.5, "2": 1.51, "3": None, "4": 9.0}, {"1": 1.0, "2": 1.0, "3": 1.0}, 1.5
    )
    assert [(v.model_version, v.degraded) for v in verdicts] == [
        ("1", False),  # exactly at the limit
        ("2", True),
        ("3", False),  # no live MASE (flat series only)
        ("4", False),  # no backtest MASE to compare with
    ]
    assert verdicts[1].limit == 1.5


def test_coverage_is_off_beyond_the_tolerance_on_either_side():
    verdicts = coverage_verdicts({"1": {"95": 0.70, "80": 0.80, "50": None}}, 0.15)
    assert [(v.level, v.nominal, v.off) for v in verdicts] == [
        ("80", 0.8, False),
        ("95", 0.95, True),
    ]
    assert coverage_verdicts({"1": {"80": 0.96}}, 0.15)[0].off


def test_degraded_streak_needs_every_recent_day():
    assert degraded_streak([1.0, 2.0, 2.0], 1.0, 1.5, 2)
    assert not degraded_streak([2.0, 1.0, 2.0], 1.0, 1.5, 2)
    assert not degraded_streak([2.0], 1.0, 1.5, 2)
    assert not degraded_streak([2.0, None], 1.0, 1.5, 2)
    assert not degraded_streak([2.0, 2.0], None, 1.5, 2)
