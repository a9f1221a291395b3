"""Process-wide switches that keep every part of Quantis offline by default."""

from __future__ import annotations

import os

OFFLINE_DEFAULTS = {
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "BENTOML_DO_NOT_TRACK": "true",
    "GX_ANALYTICS_ENABLED": "false",
}


def apply_offline_defaults() -> None:
    """Turn off telemetry of every library we embed, unless the user set it explicitly."""
    for name, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(name, value)
