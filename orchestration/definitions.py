"""The Quantis code location: every domain's definitions merged, the pipeline job, the shared
resources and the executor, all from one settings object."""

import dagster as dg

from core.runtime import apply_offline_defaults
from core.settings import Settings, get_settings
from orchestration.defs.backup import definitions as backup
from orchestration.defs.forecasting import definitions as forecasting
from orchestration.defs.ingestion import definitions as ingestion
from orchestration.defs.monitoring import definitions as monitoring
from orchestration.defs.registry import definitions as registry
from orchestration.defs.serving import definitions as serving
from orchestration.defs.training import definitions as training
from orchestration.executors import executor_for
from orchestration.pipeline_job import pipeline_job
from orchestration.resources import build_resources

apply_offline_defaults()

DOMAINS = (ingestion, training, registry, serving, forecasting, monitoring, backup)


def build_definitions(settings: Settings) -> dg.Definitions:
    """The code location's definitions with resources built from `settings`."""
    return dg.Definitions.merge(
        *(domain.build(settings) for domain in DOMAINS),
        dg.Definitions(
            jobs=[pipeline_job],
            resources=build_resources(settings),
            executor=executor_for(settings),
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The definitions for the settings of this process's environment, read when Dagster
    loads the code location (the UI, the daemon, step processes and pods), not at import."""
    return build_definitions(get_settings())
