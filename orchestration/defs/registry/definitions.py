"""The registry domain's definitions: register each trained model, promote it when it wins."""

import dagster as dg

from core.settings import Settings
from orchestration.defs.registry.assets import registered_model

__all__ = ["build"]


def build(settings: Settings) -> dg.Definitions:
    """The registered-model asset (it uses only the shared MLflow and policy resources)."""
    return dg.Definitions(assets=[registered_model])
