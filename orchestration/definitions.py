"""The Quantis code location: every domain's definitions, the full pipeline job, resources."""

import dagster as dg

from core.run_tags import dataset_tags
from core.runtime import apply_offline_defaults
from core.settings import Settings, get_settings
from orchestration.defs import (
    backup,
    forecasting,
    ingestion,
    monitoring,
    registry,
    serving,
    training,
)
from orchestration.executors import executor_for
from orchestration.resources import build_resources

apply_offline_defaults()

pipeline_job = dg.define_asset_job(
    "quantis_pipeline",
    tags=dataset_tags(),  # one run per dataset at a time (core.run_tags)
    # Monitoring is partitioned by day and batch forecasts by series shard: each runs on a
    # job, sensor and schedule of its own.
    selection=dg.AssetSelection.all()
    - dg.AssetSelection.groups("monitoring")
    - dg.AssetSelection.assets(forecasting.BATCH_ASSET),
    description="Everything from landing to a served model: ingest, validate, train, "
    "backtest, register, package and roll out.",
)


def build_definitions(settings: Settings) -> dg.Definitions:
    """The code location's definitions with resources built from `settings`."""
    return dg.Definitions.merge(
        ingestion.defs,
        training.defs,
        registry.defs,
        serving.defs,
        backup.defs,
        monitoring.defs,
        forecasting.defs_for(settings),
        dg.Definitions(
            jobs=[pipeline_job],
            resources=build_resources(settings)
            | serving.resources_for(settings)
            | monitoring.resources_for(settings)
            | forecasting.resources_for(settings),
            executor=executor_for(settings),
        ),
    )


def definitions_from_environment() -> dg.Definitions:
    """The definitions for the settings of this process's environment. Step processes and
    pods load the code location through this, so they never reuse definitions another
    module-level import built earlier with other settings."""
    return build_definitions(get_settings())


defs = definitions_from_environment()
