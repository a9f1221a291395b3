"""Register the new model version as `challenger` and promote it when it wins."""

import dagster as dg

from core.promotion import decide_promotion
from orchestration.resources import MLflowTracking, PipelinePolicy

__all__ = ["registered_model"]


@dg.asset(
    group_name="registry",
    description="The trained model registered in MLflow with alias `challenger`, promoted to "
    "`champion` only when it beats the champion and seasonal naive on backtest MASE.",
)
def registered_model(
    context: dg.AssetExecutionContext,
    trained_model: dict,
    backtest_report: dict,
    mlflow_tracking: MLflowTracking,
    policy: PipelinePolicy,
) -> dg.Output[dict]:
    import mlflow

    results = backtest_report["results"]
    champion = results.get("champion")
    decision = decide_promotion(
        challenger_mase=results["challenger"]["mase"],
        champion_mase=champion["mase"] if champion else None,
        naive_mase=results["seasonal_naive"]["mase"],
        margin=policy.promotion_margin,
    )
    registry = mlflow_tracking.registry()
    version = registry.register(
        trained_model["model_uri"],
        tags={
            "quantis.dataset_fingerprint": trained_model["fingerprint"],
            "quantis.mlflow_run_id": trained_model["run_id"],
        },
    )
    record = decision.as_dict() | {
        "challenger_version": version.version,
        "champion_version": backtest_report["champion_version"],
        "windows": backtest_report["n_windows"],
    }
    registry.record_decision(version.version, record)
    mlflow.set_tracking_uri(mlflow_tracking.tracking_uri)
    mlflow.MlflowClient().set_tag(
        trained_model["run_id"], "quantis.promotion", "promoted" if decision.promote else "kept"
    )
    if decision.promote:
        registry.promote(version.version, by="pipeline")
    context.log.info("Promotion decision for version %s: %s", version.version, decision.reason)
    champion_now = registry.champion()
    return dg.Output(
        {
            "version": version.version,
            "promoted": decision.promote,
            "champion_version": champion_now.version if champion_now else None,
        },
        metadata={
            "version": version.version,
            "promoted": decision.promote,
            "decision": decision.reason,
            "challenger_mase": decision.challenger_mase,
            "champion_mase": decision.champion_mase,
            "seasonal_naive_mase": decision.naive_mase,
            "margin": decision.margin,
            "champion_version": champion_now.version if champion_now else "none",
        },
    )
