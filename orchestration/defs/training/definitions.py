"""The training domain's definitions: the model and its backtest, and when they run."""

import dagster as dg

from core.settings import Settings
from orchestration.defs.training.assets import backtest_report, make_trained_model
from orchestration.defs.training.automation import (
    new_data_sensor,
    retrain_job,
    retrain_schedule,
)
from orchestration.defs.training.placement import training_op_tags

__all__ = ["build"]


def build(settings: Settings) -> dg.Definitions:
    """Training's assets (the training step placed by the settings' node pool and GPUs),
    the retrain job, its weekly schedule and the new-data sensor (each dataset's share)."""
    op_tags = training_op_tags(
        settings.train_node_selector,
        settings.train_gpu_toleration_key,
        settings.train_gpu_limit,
    )
    return dg.Definitions(
        assets=[make_trained_model(op_tags), backtest_report],
        jobs=[retrain_job],
        schedules=[retrain_schedule],
        sensors=[new_data_sensor],
    )
