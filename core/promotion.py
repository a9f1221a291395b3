"""The promotion rule: when a challenger model may replace the champion.

A challenger is promoted only when, on the same backtest windows, its MASE beats both the
current champion and the seasonal-naive baseline by at least `margin` (a relative share:
0.02 means "at least 2% lower").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

__all__ = ["PromotionDecision", "decide_promotion"]


@dataclass(frozen=True)
class PromotionDecision:
    """The outcome of comparing a challenger with the champion and the naive baseline."""

    promote: bool
    reason: str
    challenger_mase: float
    champion_mase: float | None
    naive_mase: float
    margin: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _beats(candidate: float, reference: float, margin: float) -> bool:
    return candidate < reference * (1.0 - margin)


def decide_promotion(
    challenger_mase: float,
    champion_mase: float | None,
    naive_mase: float,
    margin: float = 0.0,
) -> PromotionDecision:
    """Decide whether the challenger becomes champion; the reason states both comparisons."""
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"promotion margin must be in [0, 1), got {margin}")
    figures = dict(
        challenger_mase=challenger_mase,
        champion_mase=champion_mase,
        naive_mase=naive_mase,
        margin=margin,
    )
    if not math.isfinite(challenger_mase):
        return PromotionDecision(False, "challenger MASE is not finite", **figures)
    if not _beats(challenger_mase, naive_mase, margin):
        reason = (
            f"challenger MASE {challenger_mase:.4f} does not beat seasonal naive "
            f"{naive_mase:.4f} (margin {margin:.1%})"
        )
        return PromotionDecision(False, reason, **figures)
    if champion_mase is None:
        reason = (
            f"no champion yet; challenger MASE {challenger_mase:.4f} beats seasonal naive "
            f"{naive_mase:.4f}"
        )
        return PromotionDecision(True, reason, **figures)
    if not _beats(challenger_mase, champion_mase, margin):
        reason = (
            f"challenger MASE {challenger_mase:.4f} does not beat champion "
            f"{champion_mase:.4f} (margin {margin:.1%})"
        )
        return PromotionDecision(False, reason, **figures)
    reason = (
        f"challenger MASE {challenger_mase:.4f} beats champion {champion_mase:.4f} and "
        f"seasonal naive {naive_mase:.4f} (margin {margin:.1%})"
    )
    return PromotionDecision(True, reason, **figures)
