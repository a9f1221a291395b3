"""The model registry as the API shows it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import UtcDateTime

__all__ = ["ModelVersionPublic", "RegistryView"]


class ModelVersionPublic(BaseModel):
    name: str
    version: str
    aliases: list[str]
    run_id: str | None
    source: str
    created_at: UtcDateTime
    metrics: dict[str, float] = Field(description="Metrics of the training run (backtest MASE…).")
    decision: dict[str, Any] | None = Field(
        None, description="The promotion decision recorded for this version, with its figures."
    )
    tags: dict[str, str]
    feature_importance: dict[str, float] = Field(
        default_factory=dict,
        description="Share of the LightGBM member's split gain by feature group (history, "
        "calendar, each covariate), summing to 1; empty for a model without one.",
    )


class RegistryView(BaseModel):
    name: str
    champion: str | None = Field(description="Version holding the `champion` alias.")
    challenger: str | None = Field(description="Version holding the `challenger` alias.")
    versions: list[ModelVersionPublic] = Field(description="Newest first.")
