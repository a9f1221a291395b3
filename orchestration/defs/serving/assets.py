"""Serving assets: package the champion as a Bento and roll it out to the deploy target."""

from dataclasses import replace
from pathlib import Path

import dagster as dg

from models.artifact import read_manifest, write_manifest
from orchestration.defs.serving.bento_build import BentoIndex, build_model_bento
from orchestration.defs.serving.targets import DeployTarget
from orchestration.resources import MLflowTracking, OperationalDatabase, PipelinePolicy

__all__ = ["deploy_champion_job", "model_bento", "model_deployment"]


def _champion_model_dir(mlflow_tracking: MLflowTracking, version: str, work_dir: Path) -> Path:
    model_dir = mlflow_tracking.model_version_dir(version, work_dir)
    manifest = read_manifest(model_dir)
    if manifest.version != version:  # stamp the registered identity into the served copy
        write_manifest(
            model_dir, replace(manifest, name=mlflow_tracking.model_name, version=version)
        )
    return model_dir


@dg.asset(
    group_name="serving",
    description="`bentoml build` of the champion model version into a model-server Bento.",
)
def model_bento(
    context: dg.AssetExecutionContext,
    registered_model: dict,
    mlflow_tracking: MLflowTracking,
    policy: PipelinePolicy,
    deploy_target: DeployTarget,
) -> dg.Output[dict]:
    # The registry, not the upstream output, says what serves: a manual promote or rollback
    # between runs is honoured by the next deploy.
    champion = mlflow_tracking.registry().champion()
    version = champion.version if champion else None
    if version is None:
        raise dg.Failure(
            "there is no champion model to package: the first model did not beat seasonal "
            "naive; see the `registered_model` decision"
        )
    model_dir = _champion_model_dir(mlflow_tracking, version, Path(policy.work_dir))
    labels = {"registered_model": mlflow_tracking.model_name, "registered_version": version}
    bentoml_home = Path(getattr(deploy_target, "bentoml_home", Path(policy.work_dir) / "bentoml"))
    index = BentoIndex(bentoml_home)
    built = index.get(mlflow_tracking.model_name, version)
    reused = built is not None
    if built is None:
        built = build_model_bento(
            model_dir,
            model_name=mlflow_tracking.model_name,
            labels=labels,
            bentoml_home=bentoml_home,
        )
        index.put(mlflow_tracking.model_name, version, built)
    context.log.info(
        "%s %s with model %s", "Reusing" if reused else "Built", built.bento_tag, built.model_tag
    )
    return dg.Output(
        {"bento_tag": built.bento_tag, "model_tag": built.model_tag, "model_version": version},
        metadata={
            "bento_tag": built.bento_tag,
            "model_tag": built.model_tag,
            "version": version,
            "reused_existing_bento": reused,
        },
    )


@dg.asset(
    group_name="serving",
    description="The champion's Bento rolled out to the deploy target (local process or "
    "Kubernetes Deployment); the active deployment record tells the API where it serves.",
)
def model_deployment(
    context: dg.AssetExecutionContext,
    model_bento: dict,
    database: OperationalDatabase,
    mlflow_tracking: MLflowTracking,
    deploy_target: DeployTarget,
) -> dg.Output[dict]:
    outcome = deploy_target.roll_out(
        database,
        bento_tag=model_bento["bento_tag"],
        model_tag=model_bento["model_tag"],
        model_name=mlflow_tracking.model_name,
        model_version=model_bento["model_version"],
    )
    context.log.info(
        "Model server for version %s at %s", model_bento["model_version"], outcome.endpoint_url
    )
    return dg.Output(
        {"endpoint_url": outcome.endpoint_url, "deployment_id": outcome.deployment_id},
        metadata={
            "endpoint_url": outcome.endpoint_url,
            "deployment_id": outcome.deployment_id,
            "reused_running_server": outcome.reused,
            "model_version": model_bento["model_version"],
        },
    )


deploy_champion_job = dg.define_asset_job(
    "deploy_champion",
    selection=dg.AssetSelection.assets("model_bento", "model_deployment"),
    description="Package and roll out whatever version holds the `champion` alias now "
    "(after a manual promote or rollback).",
)
