"""Pipeline runs and asset health as read from Dagster."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["AssetHealthPublic", "PipelineRun", "RetrainLaunched"]


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


class RetrainLaunched(BaseModel):
    run_id: str
    job_name: str
    status: str
