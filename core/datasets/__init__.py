"""Datasets: named forecasting problems, each with its own series, frequency and rules."""

from core.datasets.config import (
    DEFAULT_DATASET,
    DatasetChangeRefused,
    DatasetConfig,
    changes_refused,
    default_dataset_config,
)

__all__ = [
    "DEFAULT_DATASET",
    "DatasetChangeRefused",
    "DatasetConfig",
    "changes_refused",
    "default_dataset_config",
]
