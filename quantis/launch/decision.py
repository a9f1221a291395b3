"""Which jobs one `quantis up` runs: the whole pipeline without a champion; otherwise
ingestion first, then retraining or only packaging and rolling out the champion, by the
rule the `retrain_on_new_data` sensor follows too (`core.retrain_rule`)."""

from __future__ import annotations

from collections.abc import Callable

from core import job_names
from core.retrain_rule import ChampionData, retrain_decision
from core.settings import Settings
from quantis.pipeline_runner import PipelineOutcome, merge_outcomes

__all__ = ["champion_data", "run_pipeline_once"]


def champion_data(settings: Settings) -> ChampionData | None:
    """Version and training-data fingerprint of the current champion, if there is one."""
    from core.mlflow_names import TAG_DATASET_FINGERPRINT
    from core.registry import ModelRegistry

    champion = ModelRegistry(
        settings.mlflow_tracking_uri, settings.registered_model_name
    ).champion()
    if champion is None:
        return None
    return ChampionData(champion.version, champion.tags.get(TAG_DATASET_FINGERPRINT, ""))


def run_pipeline_once(
    settings: Settings,
    run_job: Callable[[str], PipelineOutcome],
    say: Callable[[str], None],
    *,
    retrain: bool,
) -> PipelineOutcome:
    """Run the jobs this state of data and registry calls for; `run_job(name)` runs one."""
    champion = champion_data(settings)
    if champion is None:
        return run_job(job_names.PIPELINE)
    ingestion = run_job(job_names.INGESTION)
    if not ingestion.success:
        return ingestion
    observations = ingestion.metadata.get("observations", {})
    decision = retrain_decision(
        new_row_share=float(observations.get("new_row_share", 0.0)),
        min_new_share=settings.retrain_new_data_share,
        data_fingerprint=observations.get("fingerprint"),
        champion=champion,
        forced=retrain,
    )
    if decision.retrain:
        say(f"Retraining: {decision.reason}.")
        return merge_outcomes(ingestion, run_job(job_names.RETRAIN))
    say(
        f"Not retraining ({decision.reason}): packaging and rolling out champion version "
        f"{champion.version} (--retrain forces retraining)."
    )
    return merge_outcomes(ingestion, run_job(job_names.DEPLOY_CHAMPION))
