"""Pipeline runs, asset health and schedules as read from Dagster."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["AssetHealthPublic", "PipelineRun", "PipelineSchedule", "RetrainLaunched"]


class PipelineRun(BaseModel):
    run_id: str
    job_name: str
    status: str = Field(description="Dagster run status, e.g. SUCCESS, FAILURE, STARTED.")
    created_at: float | None = Field(description="Epoch seconds.")
    started_at: float | None
    ended_at: float | None
    tags: dict[str, str]


class AssetHealthPublic(BaseModel):
    asset_key: str
    group: str | None
    last_materialized_at: float | None = Field(description="Epoch seconds.")
    last_failed_at: float | None
    health: str = Field(description="HEALTHY, WARNING, DEGRADED, UNKNOWN or NOT_APPLICABLE.")
    materialization_status: str
    checks_status: str
    freshness_status: str


class PipelineSchedule(BaseModel):
    name: str
    cron_schedule: str = Field(description="Cron expression, e.g. `0 2 * * *`.")
    execution_timezone: str | None = Field(description="Timezone of the cron expression.")
    job_name: str
    description: str | None
    status: str = Field(description="RUNNING or STOPPED (switched in the Dagster UI).")
    next_tick_at: float | None = Field(
        description="Epoch seconds of the next run; null when the schedule is stopped."
    )


class RetrainLaunched(BaseModel):
    run_id: str
    job_name: str
    status: str
    dataset: str = Field(description="The dataset whose partition the run works on.")
