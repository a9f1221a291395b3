"""Training: fit the global model and backtest it against the champion and baselines."""

import dagster as dg

from core.settings import get_settings
from orchestration.defs.training.assets import backtest_report, trained_model
from orchestration.defs.training.automation import (
    make_new_data_sensor,
    retrain_job,
    retrain_schedule,
)

defs = dg.Definitions(
    assets=[trained_model, backtest_report],
    jobs=[retrain_job],
    schedules=[retrain_schedule],
    sensors=[make_new_data_sensor(get_settings().retrain_new_data_share)],
)
