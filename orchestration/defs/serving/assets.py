"""Serving assets: package the champion as a Bento and roll it out to the deploy target."""

from dataclasses import replace

import dagster as dg

from core import job_names
from core.datasets import DEFAULT_DATASET
from models.artifact import read_manifest, write_manifest
from orchestration.contracts import BuiltBento, Rollout
from orchestration.datasets import dataset_partitions
from orchestration.defs.serving.bento_build import (
    BentoCatalog,
    build_model_bento,
    export_bento,
)
from orchestration.defs.serving.targets import DeployTarget
from orchestration.resources import MLflowTracking, ObjectStorage, OperationalDatabase, StepScratch

__all__ = ["deploy_champion_job", "model_bento", "model_deployment"]

NOT_SERVED = (
    "dataset %r: its champion is registered but not served; the model server serves the "
    "`default` dataset's champion only (docs/datasets.md)"
)


@dg.asset(
    group_name="serving",
    description="`bentoml build` of the champion model version into a model-server Bento, "
    "exported to the object store.",
    # After the registration, but reading the registry rather than its output.
    deps=["registered_model"],
    partitions_def=dataset_partitions,
    # Only the `default` dataset's champion is served: another dataset's run ends at its
    # registry (no materialization here, and the roll-out step is skipped).
    output_required=False,
    dagster_type=BuiltBento,
)
def model_bento(
    context: dg.AssetExecutionContext,
    mlflow_tracking: MLflowTracking,
    storage: ObjectStorage,
    scratch: StepScratch,
):
    if context.partition_key != DEFAULT_DATASET:
        context.log.info(NOT_SERVED, context.partition_key)
        return
    # The registry, not the upstream output, says what serves: a manual promote or rollback
    # between runs is honoured by the next deploy.
    champion = mlflow_tracking.registry().champion()
    if champion is None:
        raise dg.Failure(
            "there is no champion model to package: the first model did not beat seasonal "
            "naive; see the `registered_model` decision"
        )
    name, version = mlflow_tracking.model_name, champion.version
    catalog = BentoCatalog(storage.open())
    found = catalog.get(name, version)
    if found is not None:
        built, bento_key = found
    else:
        model_dir = mlflow_tracking.model_version_dir(version, scratch.path)
        manifest = read_manifest(model_dir)
        if manifest.version != version:  # stamp the registered identity into the served copy
            write_manifest(model_dir, replace(manifest, name=name, version=version))
        bentoml_home = scratch.folder("bentoml")
        built = build_model_bento(
            model_dir,
            model_name=name,
            labels={"registered_model": name, "registered_version": version},
            bentoml_home=bentoml_home,
        )
        archive = export_bento(built.bento_tag, bentoml_home, scratch.path / "model.bento")
        bento_key = catalog.put(name, version, built, archive)
    context.log.info(
        "%s %s with model %s", "Reusing" if found else "Built", built.bento_tag, built.model_tag
    )
    bento = BuiltBento(
        bento_tag=built.bento_tag,
        model_tag=built.model_tag,
        model_version=version,
        bento_key=bento_key,
        reused=found is not None,
    )
    yield dg.Output(bento, metadata=bento.metadata())


@dg.asset(
    group_name="serving",
    description="The champion's Bento rolled out to the deploy target (local process or "
    "Kubernetes Deployment); the active deployment record tells the API where it serves. "
    "The `default` dataset's only, for now.",
    partitions_def=dataset_partitions,
)
def model_deployment(
    context: dg.AssetExecutionContext,
    model_bento: BuiltBento,
    database: OperationalDatabase,
    storage: ObjectStorage,
    mlflow_tracking: MLflowTracking,
    deploy_target: DeployTarget,
    scratch: StepScratch,  # the step works in a folder of its own (see StepScratch)
) -> dg.Output[Rollout]:
    outcome = deploy_target.roll_out(
        database,
        storage.open(),
        bento=model_bento,
        model_name=mlflow_tracking.model_name,
    )
    context.log.info(
        "Model server for version %s at %s", model_bento.model_version, outcome.endpoint_url
    )
    rollout = Rollout(
        deployment_id=outcome.deployment_id,
        endpoint_url=outcome.endpoint_url,
        model_version=model_bento.model_version,
        bento_tag=model_bento.bento_tag,
        reused=outcome.reused,
    )
    return dg.Output(rollout, metadata=rollout.metadata())


deploy_champion_job = dg.define_asset_job(
    job_names.DEPLOY_CHAMPION,
    selection=dg.AssetSelection.assets("model_bento", "model_deployment"),
    description="Package and roll out whatever version holds the `champion` alias now "
    "(after a manual promote or rollback).",
)
