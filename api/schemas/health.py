"""Liveness and readiness answers."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["Check", "Liveness", "Readiness", "ServedModel"]


class Liveness(BaseModel):
    status: str


class Check(BaseModel):
    ok: bool
    detail: str


class ServedModel(BaseModel):
    name: str = Field(description="Registered model name.")
    version: str = Field(description="Registered model version.")


class Readiness(BaseModel):
    status: str
    database: Check
    model_server: Check
    model: ServedModel | None = Field(
        description="The model the model server serves; null when it is down."
    )
