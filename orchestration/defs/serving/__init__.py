"""Serving: package the champion as a Bento and roll it out."""

from typing import Any

import dagster as dg

from core.settings import Settings
from orchestration.defs.serving.assets import deploy_champion_job, model_bento, model_deployment
from orchestration.defs.serving.targets import deploy_target_for

defs = dg.Definitions(assets=[model_bento, model_deployment], jobs=[deploy_champion_job])


def resources_for(settings: Settings) -> dict[str, Any]:
    """The serving domain's own resources: where Bentos are rolled out."""
    return {"deploy_target": deploy_target_for(settings)}
