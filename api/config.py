"""Knobs of the REST API: rate limits, the body limit and the Dagster URL come from the shared
settings (`QUANTIS_API_RATE_LIMIT_*`, `QUANTIS_API_MAX_BODY_BYTES`, `QUANTIS_DAGSTER_URL`);
the frontend folder from `QUANTIS_FRONTEND_DIR`. Tests pass an `ApiOptions` to `create_app` directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from core import job_names
from core.settings import Settings

__all__ = ["REPO_ROOT", "ApiOptions"]

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ApiOptions:
    """Rate limits, body limit, Dagster webserver, forecast history length, frontend folder."""

    rate_limit_per_minute: float = 600.0
    rate_limit_burst: float = 100.0
    rate_limit_storage_url: str = "memory://"
    rate_limit_namespace: str = "quantis"
    dagster_url: str = "http://127.0.0.1:3000"
    dagster_timeout_s: float = 10.0
    dagster_location: str = "quantis"
    retrain_job: str = job_names.RETRAIN
    history_points: int = 730
    endpoint_cache_s: float = 5.0
    max_body_bytes: int = 16 * 1024 * 1024
    frontend_dir: Path = field(default_factory=lambda: REPO_ROOT / "frontend" / "dist")

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiOptions:
        defaults = cls()
        return cls(
            rate_limit_per_minute=settings.api_rate_limit_per_minute,
            rate_limit_burst=settings.api_rate_limit_burst,
            rate_limit_storage_url=settings.api_rate_limit_storage_url,
            rate_limit_namespace=settings.api_rate_limit_namespace,
            dagster_url=settings.dagster_url,
            max_body_bytes=settings.api_max_body_bytes,
            frontend_dir=Path(os.environ.get("QUANTIS_FRONTEND_DIR") or defaults.frontend_dir),
        )
