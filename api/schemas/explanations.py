"""A forecast taken apart by feature group, as the API shows it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import UtcDateTime

__all__ = ["ExplanationPointPublic", "SeriesExplanationPublic"]


class ExplanationPointPublic(BaseModel):
    ds: UtcDateTime
    base: float = Field(description="The trees' expected output, the same for every point.")
    contributions: dict[str, float] = Field(
        description="Feature group -> contribution: `history` (lags and rolling means of the "
        "series), `calendar` (date features) and each covariate by name."
    )
    raw: float = Field(description="The trees' output: `base` plus every contribution.")
    yhat: float = Field(description="The LightGBM member's forecast for this point.")


class SeriesExplanationPublic(BaseModel):
    series_id: int
    dataset: str
    model_name: str
    model_version: str
    horizon: int
    points: list[ExplanationPointPublic] = Field(
        description="One per step. Contributions are LightGBM's `pred_contrib`, in the space "
        "the trees predict: after the model's target transforms (by default log1p, then the "
        "seasonal difference), so they add up to `raw`, not to `yhat`. The champion's "
        "forecast averages this member's with the statistical members'."
    )
