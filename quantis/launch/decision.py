"""Which jobs one `quantis up` runs, for each dataset: the whole pipeline while the dataset
has no champion; otherwise ingestion first, then retraining or only packaging and rolling out
the champion, by the rule the `retrain_on_new_data` sensor follows too (`core.retrain_rule`),
with the dataset's own new-data share. After a roll-out, the batch forecasts of every shard
of the dataset (what the `batch_forecasts_after_rollout` sensor asks for while the daemon
runs), unless the dataset or the `batch_forecast_after_rollout` setting turned them off."""

from __future__ import annotations

from collections.abc import Callable

from core import job_names
from core.datasets import DEFAULT_DATASET, DatasetConfig
from core.retrain_rule import ChampionData, retrain_decision
from core.settings import Settings
from quantis.pipeline_runner import PipelineOutcome, dataset_names, merge_outcomes

__all__ = ["champion_data", "forecast_after_rollout", "run_every_dataset", "run_pipeline_once"]


def champion_data(settings: Settings, dataset: str = DEFAULT_DATASET) -> ChampionData | None:
    """Version and training-data fingerprint of the dataset's champion, if it has one."""
    from core.mlflow_names import TAG_DATASET_FINGERPRINT, registered_model_name
    from core.registry import ModelRegistry

    champion = ModelRegistry(
        settings.mlflow_tracking_uri, registered_model_name(settings.registered_model_name, dataset)
    ).champion()
    if champion is None:
        return None
    return ChampionData(champion.version, champion.tags.get(TAG_DATASET_FINGERPRINT, ""))


def _dataset_config(settings: Settings, dataset: str) -> DatasetConfig:
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.datasets import dataset_config, find_dataset

    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            return dataset_config(find_dataset(session, dataset))
    finally:
        engine.dispose()


def run_pipeline_once(
    settings: Settings,
    run_job: Callable[[str], PipelineOutcome],
    say: Callable[[str], None],
    *,
    retrain: bool,
    dataset: str = DEFAULT_DATASET,
) -> PipelineOutcome:
    """Run the jobs this state of the dataset's data and registry calls for; `run_job(name)`
    runs one on the dataset."""
    champion = champion_data(settings, dataset)
    if champion is None:
        return run_job(job_names.PIPELINE)
    ingestion = run_job(job_names.INGESTION)
    if not ingestion.success:
        return ingestion
    observations = ingestion.metadata.get("observations", {})
    decision = retrain_decision(
        new_row_share=float(observations.get("new_row_share", 0.0)),
        min_new_share=_dataset_config(settings, dataset).retrain_new_data_share,
        data_fingerprint=observations.get("fingerprint"),
        champion=champion,
        forced=retrain,
    )
    if decision.retrain:
        say(f"{dataset}: retraining: {decision.reason}.")
        return merge_outcomes(ingestion, run_job(job_names.RETRAIN))
    say(
        f"{dataset}: not retraining ({decision.reason}): packaging and rolling out champion "
        f"version {champion.version} (--retrain forces retraining)."
    )
    return merge_outcomes(ingestion, run_job(job_names.DEPLOY_CHAMPION))


def forecast_after_rollout(
    settings: Settings,
    outcome: PipelineOutcome,
    run_batch: Callable[[object], PipelineOutcome],
    say: Callable[[str], None],
) -> PipelineOutcome:
    """The batch forecasts of every shard of the outcome's dataset when its run rolled a
    champion out; `run_batch(partition)` runs the batch job on one dataset x shard key."""
    from orchestration.defs.forecasting.sharding import batch_keys

    dataset = outcome.dataset
    if not outcome.success or "model_deployment" not in outcome.metadata:
        return outcome
    if not settings.batch_forecast_after_rollout:
        say(f"{dataset}: no batch forecasts (batch_forecast_after_rollout is off).")
        return outcome
    if not _dataset_config(settings, dataset).batch_forecasts_after_rollout:
        say(f"{dataset}: no batch forecasts (the dataset's batch_forecasts_after_rollout is off).")
        return outcome
    say(f"{dataset}: batch forecasts of every series ({settings.batch_forecast_shards} shards).")
    for key in batch_keys(dataset, settings.batch_forecast_shards):
        outcome = merge_outcomes(outcome, run_batch(key))
        if not outcome.success:
            break
    return outcome


def run_every_dataset(
    settings: Settings,
    run_job: Callable[..., PipelineOutcome],
    say: Callable[[str], None],
    *,
    retrain: bool,
) -> dict[str, PipelineOutcome]:
    """`run_pipeline_once` for every dataset, `default` first, then its batch forecasts
    (`forecast_after_rollout`); `run_job(name, dataset, partition=None)` runs one job on one
    dataset (on `partition` of a dataset x shard job). A failed dataset does not stop the
    others."""
    outcomes = {}
    for dataset in dataset_names(settings):
        outcome = run_pipeline_once(
            settings,
            lambda job, dataset=dataset: run_job(job, dataset),
            say,
            retrain=retrain,
            dataset=dataset,
        )
        outcomes[dataset] = forecast_after_rollout(
            settings,
            outcome,
            lambda key, dataset=dataset: run_job(job_names.BATCH_FORECASTS, dataset, key),
            say,
        )
    return outcomes
