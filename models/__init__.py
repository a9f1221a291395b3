"""Quantis forecasting library: validation, features, LightGBM global model, baselines,
backtests, metrics and conformal prediction intervals. Pure Python, no global state."""

from models.backtest import backtest, holdout, split_windows
from models.baselines import (
    BASELINES,
    ETSForecaster,
    SeasonalNaiveForecaster,
    StatisticalForecaster,
    ThetaForecaster,
)
from models.combined import CombinedForecaster
from models.config import ForecasterConfig, default_config
from models.datasets import load_tourism, synthetic_panel
from models.device import GPUUnavailableError, gpu_available, resolve_device
from models.evaluation import (
    EvaluationReport,
    MethodResult,
    default_forecaster,
    evaluate_methods,
    split_last,
)
from models.forecaster import LightGBMForecaster
from models.intervals import ConformalIntervals, series_scales
from models.metrics import (
    aggregate_metrics,
    coverage,
    interval_columns,
    mase,
    per_series_metrics,
    rmsse,
    smape,
)
from models.validation import (
    PanelProblem,
    PanelValidationError,
    infer_freq,
    season_length_for,
    validate_panel,
)

__all__ = [
    "BASELINES",
    "CombinedForecaster",
    "ConformalIntervals",
    "ETSForecaster",
    "EvaluationReport",
    "ForecasterConfig",
    "GPUUnavailableError",
    "LightGBMForecaster",
    "MethodResult",
    "PanelProblem",
    "PanelValidationError",
    "SeasonalNaiveForecaster",
    "StatisticalForecaster",
    "ThetaForecaster",
    "aggregate_metrics",
    "backtest",
    "coverage",
    "default_config",
    "default_forecaster",
    "evaluate_methods",
    "gpu_available",
    "holdout",
    "infer_freq",
    "interval_columns",
    "load_tourism",
    "mase",
    "per_series_metrics",
    "resolve_device",
    "rmsse",
    "season_length_for",
    "series_scales",
    "smape",
    "split_last",
    "split_windows",
    "synthetic_panel",
    "validate_panel",
]
