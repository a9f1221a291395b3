"""Knobs of the REST API that the shared settings object does not hold (yet).

Read from `QUANTIS_API_*` / `QUANTIS_DAGSTER_URL` environment variables with offline-friendly
defaults; tests pass an `ApiOptions` to `create_app` directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["REPO_ROOT", "ApiOptions"]

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a number, got {raw!r}") from error


@dataclass(frozen=True)
class ApiOptions:
    """Rate limits, the Dagster webserver, forecast history length and the frontend folder."""

    rate_limit_per_minute: float = 600.0
    rate_limit_burst: float = 100.0
    dagster_url: str = "http://127.0.0.1:3000"
    dagster_timeout_s: float = 10.0
    dagster_location: str = "quantis"
    retrain_job: str = "retrain"
    history_points: int = 730
    endpoint_cache_s: float = 5.0
    frontend_dir: Path = field(default_factory=lambda: REPO_ROOT / "frontend" / "dist")

    @classmethod
    def from_env(cls) -> ApiOptions:
        defaults = cls()
        return cls(
            rate_limit_per_minute=_env_float(
                "QUANTIS_API_RATE_LIMIT_PER_MINUTE", defaults.rate_limit_per_minute
            ),
            rate_limit_burst=_env_float("QUANTIS_API_RATE_LIMIT_BURST", defaults.rate_limit_burst),
            dagster_url=os.environ.get("QUANTIS_DAGSTER_URL") or defaults.dagster_url,
            frontend_dir=Path(os.environ.get("QUANTIS_FRONTEND_DIR") or defaults.frontend_dir),
        )
