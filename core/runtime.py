"""Process-wide defaults: every embedded library offline, and OpenMP that yields the CPU.

Both are environment variables, so they must be set before the libraries are imported: the
`quantis` command and the Dagster code location call `apply_offline_defaults()` first thing.
A value the user set explicitly always wins.
"""

from __future__ import annotations

import logging
import os
import sys

__all__ = [
    "OFFLINE_DEFAULTS",
    "PERFORMANCE_DEFAULTS",
    "QUIET_DEFAULTS",
    "apply_offline_defaults",
    "quiet_mlflow_logging",
]

OFFLINE_DEFAULTS = {
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "BENTOML_DO_NOT_TRACK": "true",
    "GX_ANALYTICS_ENABLED": "false",
}

# LightGBM's OpenMP threads spin while waiting by default; on a busy machine (Dagster, MLflow,
# the model server and the API share two cores in the local stack) that made a 2-thread
# `lgb.train` about 4x slower in our throughput benchmark. Passive waiting costs nothing idle.
PERFORMANCE_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE"}


# MLflow draws a tqdm bar for every artifact it downloads (a `backup drill` printed one per
# file, all on one line); our commands show their own progress.
QUIET_DEFAULTS = {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}


def apply_offline_defaults() -> None:
    """Turn off telemetry of every library we embed, and progress bars of their own; set the
    performance defaults."""
    for name, value in (OFFLINE_DEFAULTS | PERFORMANCE_DEFAULTS | QUIET_DEFAULTS).items():
        os.environ.setdefault(name, value)


def quiet_mlflow_logging() -> None:
    """MLflow logs INFO lines to stderr as it works (creating its tables on a store's first
    use, among others): a command that prints its own answer keeps them off the terminal.
    MLflow reads its level once, at import; a level the user set (MLFLOW_LOGGING_LEVEL) wins."""
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    if "mlflow" in sys.modules:  # imported already: its logger has its level
        logging.getLogger("mlflow").setLevel(os.environ["MLFLOW_LOGGING_LEVEL"].upper())
