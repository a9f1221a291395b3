"""Serving assets: package the champion as a Bento and roll it out to the deploy target."""

from dataclasses import replace

import dagster as dg

from core import job_names
from core.datasets import DEFAULT_DATASET
from models.artifact import read_manifest, write_manifest
from orchestration.contracts import BuiltBento, Rollout
from orchestration.datasets import dataset_partitions
from orchestration.defs.serving.bento_build import BentoCatalog, build_model_bento
from orchestration.defs.serving.targets import DeployTarget
from orchestration.resources import MLflowTracking, ObjectStorage, OperationalDatabase, StepScratch

__all__ = ["deploy_champion_job", "model_bento", "model_deployment"]

# A dataset other than `default` is served by the same model server, from the model
# artifacts volume: it needs no Bento of its own, only its registered version.
NO_BENTO = ""
NO_CHAMPION = (
    "dataset %r has no champion yet (its first model did not beat seasonal naive): nothing "
    "to serve; see the `registered_model` decision"
)


@dg.asset(
    group_name="serving",
    description="`bentoml build` of the champion model version into a model-server Bento, "
    "exported to the object store.",
    # After the registration, but reading the registry rather than its output.
    deps=["registered_model"],
    partitions_def=dataset_partitions,
    # A dataset other than `default` without a champion has nothing to serve: no
    # materialization, and the roll-out step is skipped.
    output_required=False,
    dagster_type=BuiltBento,
)
def model_bento(
    context: dg.AssetExecutionContext,
    mlflow_tracking: MLflowTracking,
    storage: ObjectStorage,
    scratch: StepScratch,
):
    dataset = context.partition_key
    # The registry, not the upstream output, says what serves: a manual promote or rollback
    # between runs is honoured by the next deploy.
    champion = mlflow_tracking.registry(dataset).champion()
    if champion is None and dataset != DEFAULT_DATASET:
        # Nothing to serve yet (the API answers 503 dataset_not_served for its series); the
        # roll-out step is skipped. The `default` dataset's run fails instead, as it did.
        context.log.warning(NO_CHAMPION, dataset)
        return
    if champion is None:
        raise dg.Failure(
            f"dataset {dataset!r} has no champion model to package: the first model did not "
            "beat seasonal naive; see the `registered_model` decision"
        )
    if dataset != DEFAULT_DATASET:
        # Served by the one model server of every dataset, from the artifacts volume.
        bento = BuiltBento(
            bento_tag=NO_BENTO, model_tag=NO_BENTO, model_version=champion.version,
            bento_key=NO_BENTO, reused=True,
        )  # fmt: skip
        context.log.info(
            "dataset %r: champion version %s is served by the shared model server (no Bento)",
            dataset, champion.version,
        )  # fmt: skip
        yield dg.Output(bento, metadata=bento.metadata())
        return
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
        archive = scratch.path / "model.bento"
        built = build_model_bento(
            model_dir,
            model_name=name,
            labels={"registered_model": name, "registered_version": version},
            bentoml_home=scratch.folder("bentoml"),
            archive=archive,
        )
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
    description="The champion rolled out to the deploy target (local process or Kubernetes "
    "Deployment): the `default` dataset's as a Bento (the active deployment record tells the "
    "API where it serves), every other dataset's into the same server, alone.",
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
    dataset = context.partition_key
    if dataset != DEFAULT_DATASET:
        outcome = deploy_target.roll_out_dataset(
            database,
            dataset=dataset,
            model_name=mlflow_tracking.dataset_model_name(dataset),
            model_version=model_bento.model_version,
            tracking_uri=mlflow_tracking.tracking_uri,
        )
    else:
        outcome = deploy_target.roll_out(
            database,
            storage.open(),
            bento=model_bento,
            model_name=mlflow_tracking.model_name,
        )
    if not outcome.endpoint_url:
        context.log.warning(
            "dataset %s version %s: no model server runs yet; it serves this version from its "
            "start (the `default` dataset's roll-out starts it)",
            dataset, model_bento.model_version,
        )  # fmt: skip
    context.log.info(
        "Model server for dataset %s version %s at %s",
        dataset, model_bento.model_version, outcome.endpoint_url,
    )  # fmt: skip
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
