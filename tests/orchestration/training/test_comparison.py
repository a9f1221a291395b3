"""The promotion backtest: same windows for every method, members fitted once."""

from __future__ import annotations

import pytest

from models.backtest import ForecastCache
from models.baselines import SeasonalNaiveForecaster
from models.combined import CombinedForecaster
from models.config import default_config
from models.datasets import synthetic_panel
from orchestration.defs.training.comparison import (
    comparable_panel,
    compare_methods,
    required_history,
)

H = 6


def _makers():
    config = default_config("MS", 12, H, num_boost_round=20)
    return {
        "challenger": lambda: CombinedForecaster(config),
        "seasonal_naive": lambda: SeasonalNaiveForecaster("MS", 12),
        "champion": lambda: CombinedForecaster(config),
    }


def test_the_history_needed_is_what_the_most_demanding_model_says():
    makers = _makers()
    models = [make() for make in makers.values()]
    assert required_history(models) == max(m.required_history() for m in models)
    assert required_history(models) == models[0].required_history() > 12 + 1


def test_reusing_member_fits_changes_no_score_and_fits_fewer():
    makers = _makers()
    panel = synthetic_panel(6, 80, "MS", seed=11)
    min_train = required_history(make() for make in makers.values())
    panel = comparable_panel(panel, h=H, n_windows=2, step=H, min_train=min_train)
    assert panel["unique_id"].nunique() == 6
    kwargs = dict(h=H, n_windows=2, step=H, season_length=12)
    refit = compare_methods(makers, panel, **kwargs)
    cache = ForecastCache()
    shared = compare_methods(makers, panel, cache=cache, **kwargs)
    for method, metrics in refit.items():
        assert shared[method] == pytest.approx(metrics, rel=1e-9, nan_ok=True)
    # 2 outer cutoffs and 2 inner ones beyond the oldest, 3 members each, at most; the
    # champion (same configuration) adds none
    assert cache.fits <= 4 * 3
