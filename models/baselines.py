"""Statistical baselines (statsforecast): seasonal naive, AutoETS and Theta.

They share the forecaster interface. These are local models: `fit` keeps each series' history
and `predict` estimates each series' model on the history it forecasts from (the stored one,
or `history` when given), so unseen series and `update` work the same way. With `max_history`
each series' model is estimated on its last `max_history` points only: estimation cost grows
with the length, and it is paid on every forecast request when the model serves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, SeasonalNaive, Theta

from models.metrics import interval_columns
from models.validation import REQUIRED_COLUMNS, validate_panel

__all__ = [
    "BASELINES",
    "ETSForecaster",
    "SeasonalNaiveForecaster",
    "StatisticalForecaster",
    "ThetaForecaster",
]


class StatisticalForecaster:
    """Base class: one statsforecast model applied series by series."""

    name: ClassVar[str] = "statistical"

    def __init__(
        self, freq: str, season_length: int, *, n_jobs: int = 1, max_history: int | None = None
    ):
        if max_history is not None and max_history < 1:
            raise ValueError(f"max_history must be >= 1 or None, got {max_history}")
        self.freq = freq
        self.season_length = season_length
        self.n_jobs = n_jobs
        self.max_history = max_history
        self.history_: pd.DataFrame | None = None

    def _model(self):
        raise NotImplementedError

    def fit(self, df: pd.DataFrame) -> StatisticalForecaster:
        self.history_ = self._window(validate_panel(df, freq=self.freq)[list(REQUIRED_COLUMNS)])
        return self

    def min_forecast_history(self) -> int:
        """Fewest observations a series needs to be forecast (a fallback covers the rest)."""
        return 1

    def required_history(self) -> int:
        """Points a series needs before a cutoff: one season and the point after it."""
        return self.season_length + 1

    def _window(self, panel: pd.DataFrame) -> pd.DataFrame:
        """The last `max_history` points of every series (all of them without a limit)."""
        if self.max_history is None:
            return panel
        return panel.groupby("unique_id", sort=False).tail(self.max_history).reset_index(drop=True)

    def update(self, new_obs: pd.DataFrame) -> StatisticalForecaster:
        """Append observations that continue the stored series (or start new ones)."""
        history = self._require_history()
        new = validate_panel(new_obs, freq=self.freq)[list(REQUIRED_COLUMNS)]
        combined = pd.concat([history, new], ignore_index=True)
        self.history_ = self._window(validate_panel(combined, freq=self.freq))
        return self

    def predict(
        self,
        h: int,
        levels: Sequence[float] | None = None,
        history: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """`unique_id`, `ds`, `yhat` (+ `yhat_lo_L`, `yhat_hi_L`) for the next `h` periods."""
        if h < 1:
            raise ValueError(f"h must be >= 1, got {h}")
        if history is None:
            panel = self._require_history()
        else:
            panel = validate_panel(history, freq=self.freq)[list(REQUIRED_COLUMNS)]
            panel = self._window(panel)
        levels = list(levels or [])
        engine = StatsForecast(
            models=[self._model()],
            freq=self.freq,
            n_jobs=self.n_jobs,
            fallback_model=SeasonalNaive(season_length=self.season_length),
        )
        raw = engine.forecast(df=panel, h=h, level=levels or None)
        model_name = repr(self._model())
        renamed = {model_name: "yhat"}
        for level in levels:
            lo, hi = interval_columns(level)
            renamed[f"{model_name}-lo-{level}"] = lo
            renamed[f"{model_name}-hi-{level}"] = hi
        out = raw.rename(columns=renamed)[["unique_id", "ds", *renamed.values()]]
        return out.sort_values(["unique_id", "ds"]).reset_index(drop=True)

    def _require_history(self) -> pd.DataFrame:
        if self.history_ is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit first")
        return self.history_

    def save(self, path: str | Path) -> None:
        """Write the settings and the stored history to a directory."""
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        settings = {
            "class": type(self).__name__,
            "freq": self.freq,
            "season_length": self.season_length,
            "n_jobs": self.n_jobs,
            "max_history": self.max_history,
        }
        (directory / "baseline.json").write_text(json.dumps(settings, indent=2))
        self._require_history().to_parquet(directory / "history.parquet", index=False)

    @classmethod
    def load(cls, path: str | Path) -> StatisticalForecaster:
        directory = Path(path)
        settings = json.loads((directory / "baseline.json").read_text())
        target = BASELINES_BY_CLASS[settings.pop("class")]
        if not issubclass(target, cls):
            raise TypeError(f"{path} holds a {target.__name__}, not a {cls.__name__}")
        model = target(**settings)
        model.history_ = pd.read_parquet(directory / "history.parquet")
        return model


class SeasonalNaiveForecaster(StatisticalForecaster):
    """Repeats the last observed season."""

    name = "seasonal_naive"

    def _model(self):
        return SeasonalNaive(season_length=self.season_length)


class ETSForecaster(StatisticalForecaster):
    """Exponential smoothing with the ETS form chosen per series by AICc (AutoETS)."""

    name = "ets"

    def _model(self):
        return AutoETS(season_length=self.season_length)


class ThetaForecaster(StatisticalForecaster):
    """The standard Theta method, with seasonal adjustment when a test finds seasonality."""

    name = "theta"

    def _model(self):
        return Theta(season_length=self.season_length)


BASELINES: dict[str, type[StatisticalForecaster]] = {
    cls.name: cls for cls in (SeasonalNaiveForecaster, ETSForecaster, ThetaForecaster)
}
BASELINES_BY_CLASS = {cls.__name__: cls for cls in BASELINES.values()}
