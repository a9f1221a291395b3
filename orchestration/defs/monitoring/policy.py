"""The monitoring domain's thresholds, as one resource configured from settings."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from core.settings import Settings

__all__ = ["MonitoringPolicy"]


class MonitoringPolicy(dg.ConfigurableResource):
    """When live accuracy counts as degraded, coverage as off, a series as drifted or stale."""

    degradation_factor: float = Field(
        description="Live MASE above this many times the backtest MASE is degraded."
    )
    coverage_tolerance: float = Field(
        description="Largest distance of live coverage from its nominal level."
    )
    retrain_degraded_days: int = Field(
        description="Consecutive degraded days of the champion that request a retrain."
    )
    drift_window: int = Field(description="Recent observations compared; 0 = one season.")
    drift_reference_windows: int = Field(
        description="Reference = this many windows before the recent one; 0 = all history."
    )
    drift_level_threshold: float = Field(description="|level shift| above which a series drifted.")
    drift_spread_threshold: float = Field(description="Spread ratio beyond which it drifted.")
    stale_periods: int = Field(description="Periods without data after which a series is stale.")

    @classmethod
    def from_settings(cls, settings: Settings) -> MonitoringPolicy:
        return cls(
            degradation_factor=settings.accuracy_degradation_factor,
            coverage_tolerance=settings.coverage_tolerance,
            retrain_degraded_days=settings.retrain_degraded_days,
            drift_window=settings.drift_window,
            drift_reference_windows=settings.drift_reference_windows,
            drift_level_threshold=settings.drift_level_threshold,
            drift_spread_threshold=settings.drift_spread_threshold,
            stale_periods=settings.stale_periods,
        )
