"""Forecaster configuration: features, target transforms and LightGBM settings.

`default_config` derives general defaults from the frequency, season length and horizon only;
every field can be overridden by keyword.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from models.covariates import parse_covariates
from models.validation import frequency_kind

__all__ = [
    "DEFAULT_ETS_MODEL",
    "DEFAULT_SELECTION_SERIES",
    "DEVICES",
    "TARGET_TRANSFORMS",
    "ForecasterConfig",
    "check_ets_damped",
    "check_ets_model",
    "default_config",
    "default_member_window",
    "default_train_window",
]

DEVICES = ("cpu", "gpu", "auto")
TARGET_TRANSFORMS = ("auto", "log1p", "none")

_DATE_FEATURES = {
    "minute": ("hour", "dayofweek"),
    "hour": ("hour", "dayofweek"),
    "day": ("dayofweek", "month"),
    "week": ("month",),
    "semimonth": ("month",),
    "month": ("month",),
    "quarter": ("quarter",),
    "year": (),
}


# Periods in a year, per frequency kind: a holiday calendar needs the trees to see each holiday
# of the last year, so the training window of a model with one spans two years.
_YEAR_PERIODS = {
    "hour": 8784,
    "day": 366,
    "week": 53,
    "semimonth": 24,
    "month": 12,
    "quarter": 4,
    "year": 1,
}


# AutoETS model strings: error, trend, season; Z lets AICc choose among the others.
_ETS_COMPONENTS = ("ZAM", "ZNA", "ZNAM")


def check_ets_model(model: str) -> str:
    """`model` if it is an AutoETS model string (e.g. `ZZZ`, `AZZ`), else a ValueError."""
    valid = isinstance(model, str) and len(model) == 3
    if not valid or any(
        c not in allowed for c, allowed in zip(model, _ETS_COMPONENTS, strict=True)
    ):
        raise ValueError(
            f"ets model must be three letters: error Z/A/M, trend Z/N/A, season Z/N/A/M "
            f"(e.g. 'ZZZ': all chosen by AICc), got {model!r}"
        )
    return model


def _ets_without_trend(model: str) -> bool:
    """Whether AutoETS model string `model` fixes the trend to none (`N`)."""
    return isinstance(model, str) and model[1:2] == "N"


def check_ets_damped(damped: bool | None, model: str) -> bool | None:
    """`damped` if it suits `model` (None: AICc chooses; True: damped trends only; False:
    undamped only), else a ValueError: a damped trend needs a trend (`Z` or `A`)."""
    if damped is not None and not isinstance(damped, bool):
        raise ValueError(f"ets damped must be true, false or null, got {damped!r}")
    if damped and _ets_without_trend(model):
        raise ValueError(f"ets damped=True needs a trend, but model {model!r} has none (N)")
    return damped


def _default_lags(season_length: int) -> tuple[int, ...]:
    if season_length <= 1:
        return (1, 2, 3)
    recent = range(1, min(season_length, 24) + 1)
    seasonal = {season_length, 2 * season_length} if season_length <= 24 else {season_length}
    return tuple(sorted(set(recent) | seasonal))


def _default_lgb_params() -> dict[str, Any]:
    # Many shallow trees with a small learning rate: robust across panels without tuning.
    return {
        "objective": "l2",
        "learning_rate": 0.03,
        "num_leaves": 15,
        "min_data_in_leaf": 20,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "max_bin": 63,
        "seed": 0,
        # col-wise histograms and 63 bins: faster on long panels with few features
        "force_col_wise": True,
        "verbosity": -1,
    }


@dataclass
class ForecasterConfig:
    """Everything that decides how the LightGBM forecaster builds features and trains."""

    freq: str
    season_length: int
    horizon: int
    lags: tuple[int, ...] = ()
    # (lag, window) pairs: rolling mean of the target shifted by `lag` over `window` periods
    rolling_means: tuple[tuple[int, int], ...] = ()
    date_features: tuple[str, ...] = ()
    target_transform: str = "auto"  # auto = log1p when the training target is non-negative
    differences: tuple[int, ...] = ()
    local_scaling: bool = False  # per-series standard scaling after the transforms above
    num_boost_round: int = 500
    # The trees learn from the last `train_window` points of each series (None: all of them);
    # older points still feed the lags of the first rows in the window. See `default_config`.
    train_window: int | None = None
    lgb_params: dict[str, Any] = field(default_factory=_default_lgb_params)
    device: str = "cpu"
    num_threads: int = 2
    interval_windows: int = 2  # rolling-origin refits used to calibrate conformal intervals
    # The combined (default) model: statistical members averaged with LightGBM when a backtest
    # on the training data says the average is more accurate.
    combine_with: tuple[str, ...] = ("ets", "theta")
    # The statistical members estimate each series' model on its last `member_window` points
    # (None: all of them); they re-estimate on every forecast, so this bounds serving cost.
    member_window: int | None = None
    selection_windows: int = 1
    # The in-fit backtests (member selection, interval calibration) score at most this many
    # series (the same ones in every run: `models.backtest.sample_series`); None: every series
    # long enough. The final members are fitted on every series either way.
    selection_series: int | None = None
    # The AutoETS forms the ETS member chooses among (`models.baselines.ETSForecaster`):
    # `ZZZ` every one (older artifacts); `default_config` allows additive errors only.
    ets_model: str = "ZZZ"
    # Whether the ETS member's trend is damped: None lets AICc choose for each series (older
    # artifacts), True allows damped trends only (`default_config`), False undamped only.
    ets_damped: bool | None = None
    # Declared covariates (`models.covariates.Covariate` dicts) the LightGBM member uses; none
    # (the default) builds exactly the features and model of a panel without covariates.
    covariates: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        problems = []
        if self.season_length < 1:
            problems.append(f"season_length must be >= 1, got {self.season_length}")
        if self.horizon < 1:
            problems.append(f"horizon must be >= 1, got {self.horizon}")
        if any(lag < 1 for lag in self.lags):
            problems.append(f"lags must be >= 1, got {self.lags}")
        if self.device not in DEVICES:
            problems.append(f"device must be one of {DEVICES}, got {self.device!r}")
        if self.target_transform not in TARGET_TRANSFORMS:
            problems.append(
                f"target_transform must be one of {TARGET_TRANSFORMS}, got {self.target_transform!r}"
            )
        if self.num_boost_round < 1:
            problems.append(f"num_boost_round must be >= 1, got {self.num_boost_round}")
        for name in ("train_window", "member_window", "selection_series"):
            value = getattr(self, name)
            if value is not None and value < 1:
                problems.append(f"{name} must be >= 1 or None, got {value}")
        if self.interval_windows < 0 or self.selection_windows < 1:
            problems.append("interval_windows must be >= 0 and selection_windows >= 1")
        try:
            check_ets_model(self.ets_model)
            check_ets_damped(self.ets_damped, self.ets_model)
        except ValueError as error:
            problems.append(str(error))
        if problems:
            raise ValueError("invalid ForecasterConfig: " + "; ".join(problems))
        self.lags = tuple(int(lag) for lag in self.lags)
        self.rolling_means = tuple((int(lag), int(w)) for lag, w in self.rolling_means)
        self.date_features = tuple(self.date_features)
        self.differences = tuple(int(d) for d in self.differences)
        self.combine_with = tuple(self.combine_with)
        self.covariates = tuple(c.to_dict() for c in parse_covariates(self.covariates))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ForecasterConfig:
        """Inverse of `to_dict`; unknown keys are an error rather than silently ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown ForecasterConfig fields: {unknown}")
        return cls(**data)


# Series the default model's in-fit backtests score: the selection compares a handful of
# candidates by mean MASE and the intervals take quantiles of residuals per horizon step, both
# settled long before 1,000 series x the windows; past that the backtests' refits (every member
# at every window) were most of a large panel's fit.
DEFAULT_SELECTION_SERIES = 1_000

# The AutoETS forms the ETS member chooses among by default: additive errors only. The
# multiplicative-error forms were most of AutoETS's cost (each a further optimisation per
# series, and the slowest) and did not forecast better: with `AZZ` the default model's held-out
# MASE on Tourism went 1.408 -> 1.381 (monthly) and 1.465 -> 1.440 (quarterly) in 38% of the
# fit time (`benchmarks/results/accuracy_ets_model.md`); on daily data (Chicago stations, a
# synthetic panel) AutoETS alone scored as well or better in about a third of the time
# (`benchmarks/results/ets_model_space.md`). `ets_model="ZZZ"` restores the full space.
DEFAULT_ETS_MODEL = "AZZ"

# The ETS member's trend is damped by default: AICc, choosing freely, keeps undamped trends
# that carry a recent slope on over the whole horizon. With damped trends only (two seasonal
# forms per series instead of six) the default model's held-out MASE on Tourism went 1.381 ->
# 1.373 (monthly) and 1.440 -> 1.436 (quarterly) in 56% / 67% of the fit time
# (`benchmarks/results/accuracy_ets_damped.md`); on the Chicago stations AutoETS alone scored
# better in 59% of the time (`ets_model_space.md`). On a synthetic daily panel whose trends run
# on, the default fit of 10,000 series took 0.67x the time at 0.25% higher MASE
# (`scale_10000_damped.md`). `ets_damped=None` lets AICc choose again.
DEFAULT_ETS_DAMPED = True


def default_train_window(season_length: int, horizon: int) -> int:
    """Points per series the trees learn from: 50 seasonal cycles, at least 10 horizons and 100.

    Training cost grows with every row while the oldest rows add little to a recursive model
    whose features reach back a few cycles; the window never shortens the short series of
    typical monthly, quarterly or yearly panels (600 / 200 / 100 points), and caps long daily
    or hourly histories at about a year (350 days) or 50 days (1,200 hours).
    """
    return max(50 * season_length, 10 * horizon, 100)


def default_member_window(season_length: int, horizon: int) -> int:
    """Points per series the statistical members of the combined model estimate from.

    20 seasonal cycles, at least 5 horizons and 100 points: enough for ETS / Theta to pin down
    level, trend and season, and short enough that re-estimating them per request stays cheap
    (AutoETS on 730 daily points takes ~0.37 s here, on 140 ~0.10 s).
    """
    return max(20 * season_length, 5 * horizon, 100)


def calendar_train_window(
    window: int | None, freq: str, covariates: Any, overridden: bool = False
) -> int | None:
    """The default training window, widened to two years of periods when a holiday calendar
    is declared (and the window was not set explicitly): with the 350 days of a daily model,
    the trees never see last year's Christmas when they forecast this one's."""
    kinds = [c.kind if hasattr(c, "kind") else c.get("kind") for c in covariates or ()]
    year = _YEAR_PERIODS.get(frequency_kind(freq))
    if overridden or window is None or "calendar" not in kinds or year is None:
        return window
    return max(window, 2 * year)


def default_config(
    freq: str, season_length: int, horizon: int, **overrides: Any
) -> ForecasterConfig:
    """General defaults from frequency, season length and horizon; keywords override any field."""
    date_features = _DATE_FEATURES[frequency_kind(freq)]
    seasonal = season_length > 1
    values: dict[str, Any] = {
        "freq": freq,
        "season_length": season_length,
        "horizon": horizon,
        "lags": _default_lags(season_length),
        "rolling_means": ((1, season_length), (season_length, season_length))
        if seasonal
        else ((1, 3),),
        "date_features": date_features,
        "differences": (season_length,) if seasonal else (1,),
        "train_window": default_train_window(season_length, horizon),
        "member_window": default_member_window(season_length, horizon),
        "selection_series": DEFAULT_SELECTION_SERIES,
        "ets_model": DEFAULT_ETS_MODEL,
        "ets_damped": DEFAULT_ETS_DAMPED,
    }
    unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(ForecasterConfig)})
    if unknown:
        raise ValueError(f"unknown ForecasterConfig fields: {unknown}")
    values.update(overrides)
    if "ets_damped" not in overrides and _ets_without_trend(values["ets_model"]):
        values["ets_damped"] = None  # a model string without a trend has nothing to damp
    values["train_window"] = calendar_train_window(
        values["train_window"], freq, values.get("covariates", ()), "train_window" in overrides
    )
    return ForecasterConfig(**values)
