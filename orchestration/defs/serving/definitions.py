"""The serving domain's definitions: package and roll out the champion, and where to."""

import dagster as dg

from core.settings import Settings
from orchestration.defs.serving.assets import deploy_champion_job, model_bento, model_deployment
from orchestration.defs.serving.targets import deploy_target_for

__all__ = ["build"]


def build(settings: Settings) -> dg.Definitions:
    """The Bento and roll-out assets, the deploy-champion job, and the deploy target the
    settings choose (a local model server or a Kubernetes Deployment)."""
    return dg.Definitions(
        assets=[model_bento, model_deployment],
        jobs=[deploy_champion_job],
        resources={"deploy_target": deploy_target_for(settings)},
    )
