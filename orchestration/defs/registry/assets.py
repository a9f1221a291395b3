"""Register the new model version as `challenger` and promote it when it wins."""

import dagster as dg

from core.mlflow_names import (
    TAG_DATASET,
    TAG_DATASET_FINGERPRINT,
    TAG_MLFLOW_RUN_ID,
    TAG_PROMOTION,
)
from core.promotion import decide_promotion
from orchestration.contracts import BacktestReport, RegistrationDecision, TrainedModel
from orchestration.datasets import dataset_partitions
from orchestration.resources import MLflowTracking, PipelinePolicy, StepScratch

__all__ = ["registered_model"]


@dg.asset(
    group_name="registry",
    description="The trained model registered as a version of the dataset's registered model "
    "(`default`: the `registered_model_name` setting; another: `<name>-<dataset>`) with alias "
    "`challenger`, promoted to that model's `champion` only when it beats its champion and "
    "seasonal naive on backtest MASE.",
    partitions_def=dataset_partitions,
)
def registered_model(
    context: dg.AssetExecutionContext,
    trained_model: TrainedModel,
    backtest_report: BacktestReport,
    mlflow_tracking: MLflowTracking,
    policy: PipelinePolicy,
    scratch: StepScratch,  # the step works in a folder of its own (see StepScratch)
) -> dg.Output[RegistrationDecision]:
    import mlflow

    results = backtest_report.results
    champion = results.get("champion")
    decision = decide_promotion(
        challenger_mase=results["challenger"]["mase"],
        champion_mase=champion["mase"] if champion else None,
        naive_mase=results["seasonal_naive"]["mase"],
        margin=policy.promotion_margin,
    )
    dataset = context.partition_key
    registry = mlflow_tracking.registry(dataset)
    version = registry.register(
        trained_model.model_uri,
        tags={
            TAG_DATASET: dataset,
            TAG_DATASET_FINGERPRINT: trained_model.fingerprint,
            TAG_MLFLOW_RUN_ID: trained_model.run_id,
        },
    )
    record = decision.as_dict() | {
        "challenger_version": version.version,
        "champion_version": backtest_report.champion_version,
        "windows": backtest_report.n_windows,
    }
    registry.record_decision(version.version, record)
    mlflow_tracking.activate()
    mlflow.MlflowClient().set_tag(
        trained_model.run_id, TAG_PROMOTION, "promoted" if decision.promote else "kept"
    )
    if decision.promote:
        registry.promote(version.version, by="pipeline")
    context.log.info(
        "Promotion decision for version %s of %s: %s",
        version.version, registry.model_name, decision.reason,
    )  # fmt: skip
    champion_now = registry.champion()
    registration = RegistrationDecision(
        version=version.version,
        promoted=decision.promote,
        reason=decision.reason,
        champion_version=champion_now.version if champion_now else None,
    )
    return dg.Output(
        registration,
        metadata=registration.metadata()
        | {
            "decision": decision.reason,
            "challenger_mase": decision.challenger_mase,
            "champion_mase": decision.champion_mase,
            "seasonal_naive_mase": decision.naive_mase,
            "margin": decision.margin,
            "registered_model": registry.model_name,
        },
    )
