"""The job that runs the whole pipeline, across the domains: from landing to a served model."""

import dagster as dg

from core import job_names

__all__ = ["pipeline_job"]

pipeline_job = dg.define_asset_job(
    job_names.PIPELINE,
    # Monitoring is partitioned by day and batch forecasts by series shard: each runs on a
    # job, sensor and schedule of its own.
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("monitoring", "forecasting"),
    description="Everything from landing to a served model: ingest, validate, train, "
    "backtest, register, package and roll out.",
)
