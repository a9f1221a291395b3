"""Quantis forecasting library: validation, features, LightGBM global model, baselines,
backtests, metrics and conformal prediction intervals. Pure Python, no global state.

Names are imported from their modules on first use, so that importing one light module
(`models.validation`, `models.artifact`'s constants) does not load statsforecast and LightGBM."""

from __future__ import annotations

import importlib
from typing import Any

# (`backtest`, the function, is not among them: `models.backtest` is its module.)
_MODULE_OF = {
    "holdout": "models.backtest",
    "split_windows": "models.backtest",
    "BASELINES": "models.baselines",
    "ETSForecaster": "models.baselines",
    "SeasonalNaiveForecaster": "models.baselines",
    "StatisticalForecaster": "models.baselines",
    "ThetaForecaster": "models.baselines",
    "CombinedForecaster": "models.combined",
    "ForecasterConfig": "models.config",
    "default_config": "models.config",
    "load_tourism": "models.datasets",
    "RetailPanel": "models.datasets",
    "retail_panel": "models.datasets",
    "Covariate": "models.covariates",
    "CovariateError": "models.covariates",
    "MissingFutureCovariatesError": "models.covariates",
    "validate_covariates": "models.covariates",
    "synthetic_panel": "models.datasets",
    "GPUUnavailableError": "models.device",
    "gpu_available": "models.device",
    "resolve_device": "models.device",
    "EvaluationReport": "models.evaluation",
    "MethodResult": "models.evaluation",
    "default_forecaster": "models.evaluation",
    "evaluate_methods": "models.evaluation",
    "split_last": "models.evaluation",
    "LightGBMForecaster": "models.forecaster",
    "ConformalIntervals": "models.intervals",
    "series_scales": "models.intervals",
    "aggregate_metrics": "models.metrics",
    "coverage": "models.metrics",
    "interval_columns": "models.metrics",
    "mase": "models.metrics",
    "per_series_metrics": "models.metrics",
    "rmsse": "models.metrics",
    "smape": "models.metrics",
    "PanelProblem": "models.validation",
    "PanelValidationError": "models.validation",
    "infer_freq": "models.validation",
    "season_length_for": "models.validation",
    "validate_panel": "models.validation",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))
