"""The name of every Dagster job of the code location, in one place.

The orchestration domains define the jobs under these names; the `quantis` command runs them
and the API launches them through Dagster by name. api/ and quantis/ cannot import
orchestration/, so the names live here, a floor below all three: a job renamed in one place
and launched under the old name elsewhere would only fail at run time.
"""

__all__ = [
    "BACKUP",
    "BATCH_FORECASTS",
    "DEPLOY_CHAMPION",
    "DR_DRILL",
    "INGESTION",
    "MONITORING",
    "PIPELINE",
    "RESTORE",
    "RETRAIN",
]

# Everything from landing to a served model (`quantis up`'s first run).
PIPELINE = "quantis_pipeline"
# Pick up new landing files, validate them and load them.
INGESTION = "ingestion"
# Train, backtest, register (and promote), package and roll out.
RETRAIN = "retrain"
# Package and roll out the current champion.
DEPLOY_CHAMPION = "deploy_champion"
# A forecast for every series, one run per series shard. Not the asset's name
# (`batch_forecasts`): op and job names share one namespace.
BATCH_FORECASTS = "batch_forecast_job"
# One day's live accuracy and drift.
MONITORING = "monitoring"
# Backup and disaster recovery.
BACKUP = "backup"
DR_DRILL = "dr_drill"
RESTORE = "restore"
