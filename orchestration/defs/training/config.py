"""Run configuration for training that a person can change in the Dagster launchpad."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

__all__ = ["BacktestConfig", "TrainingConfig"]


class TrainingConfig(dg.Config):
    """Hyper-parameters of the global LightGBM model; empty means "chosen from the data"."""

    horizon: int = Field(
        default=0, description="Forecast horizon in steps; 0 = two seasons (e.g. 24 for monthly)."
    )
    num_boost_round: int = Field(
        default=0, description="Number of boosting rounds (trees); 0 = the library default."
    )
    learning_rate: float = Field(default=0.0, description="LightGBM learning rate; 0 = default.")
    num_leaves: int = Field(default=0, description="LightGBM num_leaves; 0 = default.")
    device: str = Field(
        default="", description="cpu, gpu or auto; empty = the `train_device` setting."
    )


class BacktestConfig(dg.Config):
    """How the candidate model and the baselines are compared."""

    n_windows: int = Field(default=2, ge=1, description="Rolling-origin windows.")
    step: int = Field(default=0, description="Steps between window cutoffs; 0 = the horizon.")
