"""Tourism loading with the competition split, and seeded synthetic panels."""

from __future__ import annotations

import pandas as pd

from models.datasets import load_tourism, synthetic_panel
from models.validation import validate_panel


def test_tourism_quarterly_split():
    train, test = load_tourism("quarterly")
    assert train["unique_id"].nunique() == 427
    assert test.groupby("unique_id").size().eq(8).all()
    assert train.groupby("unique_id")["ds"].max().nunique() == 1  # aligned training ends
    validate_panel(pd.concat([train, test]), freq="QS")  # test continues train, no gaps


def test_synthetic_panel_is_seeded_and_regular():
    first = synthetic_panel(5, 30, "h", seed=7)
    assert first.equals(synthetic_panel(5, 30, "h", seed=7))
    assert not first.equals(synthetic_panel(5, 30, "h", seed=8))
    assert len(validate_panel(first, freq="h")) == 150
    assert (first["y"] > 0).all()
