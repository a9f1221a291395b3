"""Joining stored covariate values onto a history (`core.covariates.join_covariates`)."""

import numpy as np
import pandas as pd
import pytest

from core.covariates import Covariate, join_covariates

PRICE = Covariate("price")
REGION = Covariate("region", "categorical", "static")
HOLIDAYS = Covariate.calendar("us_holidays", "US")


@pytest.fixture
def panel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": ["a", "a", "b", "b"],
            "ds": pd.to_datetime(["2024-01-01", "2024-01-02"] * 2),
            "y": [1.0, 2.0, 3.0, 4.0],
        }
    )


def test_without_valued_covariates_the_panel_comes_back_unchanged(panel):
    assert join_covariates(panel, [HOLIDAYS]) is panel
    assert join_covariates(panel, []) is panel


def test_static_and_own_values_join_by_series_and_date(panel):
    static = pd.DataFrame({"unique_id": ["b", "a"], "region": ["south", "north"]})
    values = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b"],
            "ds": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-01"]),
            "price": [2.5, 2.0, 9.0],
        }
    )
    out = join_covariates(panel, [PRICE, REGION], static=static, values=values)
    assert list(out["region"]) == ["north", "north", "south", "south"]
    assert out["price"].tolist()[:3] == [2.0, 2.5, 9.0]
    assert np.isnan(out["price"].iloc[3])  # b on the 2nd: nothing stored, nothing filled in
    pd.testing.assert_frame_equal(out[["unique_id", "ds", "y"]], panel)


def test_a_value_for_every_series_applies_where_a_series_has_none_of_its_own(panel):
    values = pd.DataFrame(
        {
            "unique_id": [None, None, "b"],
            "ds": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02"]),
            "price": [1.0, 1.5, 7.0],
        }
    )
    out = join_covariates(panel, [PRICE], values=values)
    assert out["price"].tolist() == [1.0, 1.5, 1.0, 7.0]


def test_a_series_without_stored_values_gets_missing_ones(panel):
    out = join_covariates(panel, [PRICE, REGION])
    assert out["price"].isna().all()
    assert out["region"].isna().all()
