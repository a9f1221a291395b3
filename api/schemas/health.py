"""Liveness and readiness answers."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["Check", "Liveness", "Readiness"]


class Liveness(BaseModel):
    status: str


class Check(BaseModel):
    ok: bool
    detail: str


class Readiness(BaseModel):
    status: str
    database: Check
    model_server: Check
