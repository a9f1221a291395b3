"""Serving: package the champion as a Bento and roll it out."""

import dagster as dg

from orchestration.defs.serving.assets import deploy_champion_job, model_bento, model_deployment

defs = dg.Definitions(assets=[model_bento, model_deployment], jobs=[deploy_champion_job])
