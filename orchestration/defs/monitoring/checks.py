"""Verdicts of the monitoring checks, from figures already computed (no I/O here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "AccuracyVerdict",
    "CoverageVerdict",
    "accuracy_verdicts",
    "coverage_verdicts",
    "degraded_streak",
]


@dataclass(frozen=True)
class AccuracyVerdict:
    model_version: str
    live_mase: float | None
    backtest_mase: float | None
    limit: float | None  # factor x backtest MASE
    degraded: bool


@dataclass(frozen=True)
class CoverageVerdict:
    model_version: str
    level: str
    live: float
    nominal: float
    off: bool


def accuracy_verdicts(
    live: Mapping[str, float | None], backtest: Mapping[str, float | None], factor: float
) -> list[AccuracyVerdict]:
    """Per version: degraded when live MASE > factor x backtest MASE. A version without a
    backtest MASE, or without a live MASE, cannot be judged and is not degraded."""
    verdicts = []
    for version in sorted(live, key=str):
        live_mase, reference = live[version], backtest.get(version)
        limit = None if reference is None else factor * reference
        degraded = live_mase is not None and limit is not None and live_mase > limit
        verdicts.append(AccuracyVerdict(version, live_mase, reference, limit, degraded))
    return verdicts


def coverage_verdicts(
    coverage: Mapping[str, Mapping[str, float | None]], tolerance: float
) -> list[CoverageVerdict]:
    """Per version and level ("80"): off when |live - level/100| > tolerance."""
    verdicts = []
    for version in sorted(coverage, key=str):
        for level, share in sorted(coverage[version].items(), key=lambda item: float(item[0])):
            if share is None:
                continue
            nominal = float(level) / 100
            verdicts.append(
                CoverageVerdict(version, level, share, nominal, abs(share - nominal) > tolerance)
            )
    return verdicts


def degraded_streak(
    daily_mase: list[float | None], backtest_mase: float | None, factor: float, days: int
) -> bool:
    """True when each of the last `days` scored days has a live MASE above factor x backtest
    MASE. Fewer scored days, a day without a MASE, or no backtest MASE: False."""
    if backtest_mase is None or len(daily_mase) < days:
        return False
    return all(m is not None and m > factor * backtest_mase for m in daily_mase[-days:])
