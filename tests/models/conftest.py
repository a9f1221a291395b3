"""Small panels and fast model settings shared by the forecasting-library tests."""

from __future__ import annotations

import pandas as pd
import pytest

from models.config import ForecasterConfig, default_config
from models.datasets import synthetic_panel

# Few trees keep every fit well under a second; accuracy is the benchmarks' job.
FAST = {"num_boost_round": 30, "interval_windows": 2}


@pytest.fixture
def fast() -> dict:
    """Overrides that make a default config cheap to fit."""
    return dict(FAST)


@pytest.fixture
def monthly_panel() -> pd.DataFrame:
    return synthetic_panel(12, 72, "MS", seed=3)


@pytest.fixture
def fast_config() -> ForecasterConfig:
    return default_config("MS", 12, 6, **FAST)
