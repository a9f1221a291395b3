"""Deploy targets: where a built Bento is rolled out. Chosen once from the `deploy_target`
setting; the roll-out asset only calls `roll_out`."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from pydantic import Field

from core.db.repositories.deployments import (
    activate_deployment,
    fail_deployment,
    get_active_deployment,
    get_deployment,
    start_deployment,
)
from core.processes import is_alive, stop_process_group, wait_until_healthy
from core.settings import ENV_PREFIX, Settings
from core.storage import ObjectStore
from orchestration.contracts import BuiltBento
from orchestration.defs.serving.bento_build import BentoBuildError, bento_in_store, import_bento
from orchestration.defs.serving.kubernetes_rollout import (
    KubernetesRollout,
    RolloutFailedError,
    RolloutResult,
    container_mount_path,
)
from orchestration.defs.serving.local_server import ModelServerUnhealthyError, start_model_server
from orchestration.resources import OperationalDatabase

__all__ = [
    "FETCH_MODEL_CONTAINER",
    "MODEL_ARTIFACTS_VOLUME",
    "MODEL_DEPLOYMENT",
    "MODEL_SERVER_CONTAINER",
    "DeployTarget",
    "KubernetesDeployTarget",
    "LocalDeployTarget",
    "RolloutOutcome",
    "deploy_target_for",
]


@dataclass(frozen=True)
class RolloutOutcome:
    deployment_id: int
    endpoint_url: str
    reused: bool
    replaced_deployment_id: int | None = None


class DeployTarget(dg.ConfigurableResource):
    """Base class of deploy targets: roll out `bento` (exported to `store` at its
    `bento_key`) and record the deployment in the operational database."""

    def roll_out(
        self, database: OperationalDatabase, store: ObjectStore, *, bento: BuiltBento,
        model_name: str,
    ) -> RolloutOutcome:  # fmt: skip
        raise NotImplementedError


class LocalDeployTarget(DeployTarget):
    """A supervised `bentoml serve` process on this machine: import the Bento from the object
    store into the serving store, start the new server, wait for its health check, switch the
    active deployment record, then stop the old one."""

    bentoml_home: str = Field(description="BENTOML_HOME the model servers run from.")
    log_dir: str = Field(description="Where model-server logs are written.")
    host: str = Field(default="127.0.0.1", description="Address the model server binds to.")
    preferred_port: int = Field(default=8001, description="Port used when it is free.")
    health_timeout_s: float = Field(default=120.0, description="Seconds to wait for /readyz.")

    def _reusable(self, active) -> bool:
        pid = (active.details or {}).get("pid")
        return bool(
            pid
            and is_alive(pid)
            and active.endpoint_url
            and wait_until_healthy(f"{active.endpoint_url}/readyz", timeout_s=5)
        )

    def _import(self, store: ObjectStore, bento: BuiltBento) -> None:
        home = Path(self.bentoml_home)
        if bento_in_store(bento.bento_tag, home):
            return
        with tempfile.TemporaryDirectory(prefix="bento-") as folder:
            archive = Path(folder) / "model.bento"
            store.get_file(bento.bento_key, archive)
            import_bento(archive, home)

    def roll_out(
        self, database: OperationalDatabase, store: ObjectStore, *, bento: BuiltBento,
        model_name: str,
    ) -> RolloutOutcome:  # fmt: skip
        bento_tag, model_tag, model_version = bento.bento_tag, bento.model_tag, bento.model_version
        with database.session() as session:
            active = get_active_deployment(session, "local")
            same = active and active.bento_tag == bento_tag
            if same and active.details.get("model_tag") == model_tag and self._reusable(active):
                return RolloutOutcome(active.id, active.endpoint_url or "", reused=True)
            old = (active.id, (active.details or {}).get("pid")) if active else None
            record = start_deployment(
                session, model_name=model_name, model_version=model_version, target="local",
                bento_tag=bento_tag,
            )  # fmt: skip
            record_id = record.id
        try:
            self._import(store, bento)
            server = start_model_server(
                bento_tag,
                model_tag=model_tag,
                bentoml_home=Path(self.bentoml_home),
                log_dir=Path(self.log_dir),
                host=self.host,
                preferred_port=self.preferred_port,
                health_timeout_s=self.health_timeout_s,
            )
        except (ModelServerUnhealthyError, BentoBuildError) as exc:
            with database.session() as session:
                fail_deployment(session, record_id, str(exc))
            raise dg.Failure(description=str(exc)) from exc
        with database.session() as session:
            record = get_deployment(session, record_id)
            record.endpoint_url = server.url
            record.details = {
                "pid": server.pid,
                "port": server.port,
                "log": str(server.log_path),
                "model_tag": model_tag,
            }
            activate_deployment(session, record_id)
        if old and old[1]:
            stop_process_group(old[1])
        return RolloutOutcome(
            record_id, server.url, reused=False, replaced_deployment_id=old and old[0]
        )


# Object names of deploy/kubernetes/base/model-deployment.yaml (a test checks they agree).
MODEL_DEPLOYMENT = "model-deployment"
MODEL_SERVER_CONTAINER = "model-server"
FETCH_MODEL_CONTAINER = "fetch-model"
MODEL_ARTIFACTS_VOLUME = "model-artifacts"


def _setting_variable(field: str) -> str:
    """The environment variable of a settings field (QUANTIS_<FIELD>)."""
    if field not in Settings.model_fields:
        raise KeyError(f"core.settings.Settings has no field {field!r}")
    return f"{ENV_PREFIX}{field.upper()}"


class KubernetesDeployTarget(DeployTarget):
    """Roll model-deployment out to the release's model-server image serving one registered
    version: both containers (the server and its fetch-model init container) get the image
    and QUANTIS_MODEL_ARTIFACTS_DIR / QUANTIS_SERVED_MODEL_VERSION; then wait for the
    rollout and undo it to the previous revision when it fails or times out."""

    namespace: str = Field(description="Namespace of the model-server Deployment.")
    image: str = Field(description="model_server_image:model_server_image_tag to roll out.")
    service_url: str = Field(description="In-cluster URL of the model-server Service.")
    deployment: str = Field(default=MODEL_DEPLOYMENT, description="Deployment name.")
    container: str = Field(default=MODEL_SERVER_CONTAINER, description="Server container.")
    init_container: str = Field(
        default=FETCH_MODEL_CONTAINER, description="Init container that fetches the version."
    )
    artifacts_volume: str = Field(
        default=MODEL_ARTIFACTS_VOLUME,
        description="Volume holding one folder per registered version; its mount path in "
        "the server container becomes QUANTIS_MODEL_ARTIFACTS_DIR.",
    )
    timeout_s: float = Field(default=600.0, description="Seconds to wait for the rollout.")
    poll_s: float = Field(default=5.0, description="Seconds between rollout status reads.")

    def _apps_api(self):
        """In a pod: its service account; elsewhere: KUBECONFIG (read now, not at import)."""
        from kubernetes import client, config

        try:
            config.load_incluster_config()
        except config.ConfigException:
            config.load_kube_config(config_file=os.environ.get("KUBECONFIG"))
        return client.AppsV1Api()

    def _rollout(self) -> KubernetesRollout:
        return KubernetesRollout(
            self._apps_api(), namespace=self.namespace, deployment=self.deployment,
            container=self.container, init_containers=[self.init_container],
            timeout_s=self.timeout_s, poll_s=self.poll_s,
        )  # fmt: skip

    def _roll(self, model_version: str) -> RolloutResult:
        from kubernetes.client.exceptions import ApiException
        from kubernetes.config import ConfigException
        from urllib3.exceptions import HTTPError

        try:
            rollout = self._rollout()
            current = rollout.read()
            env = {
                _setting_variable("model_artifacts_dir"): container_mount_path(
                    current, self.container, self.artifacts_volume
                ),
                _setting_variable("served_model_version"): model_version,
            }
            return rollout.roll_out(self.image, env, current=current)
        except ApiException as exc:
            raise RolloutFailedError(
                f"the Kubernetes API answered {exc.status} {exc.reason} for "
                f"{self.namespace}/{self.deployment}: {(exc.body or '')[:500]}"
            ) from exc
        except (ConfigException, HTTPError) as exc:
            raise RolloutFailedError(f"cannot reach the Kubernetes API: {exc}") from exc

    def roll_out(
        self, database: OperationalDatabase, store: ObjectStore, *, bento: BuiltBento,
        model_name: str,
    ) -> RolloutOutcome:  # fmt: skip
        bento_tag, model_tag, model_version = bento.bento_tag, bento.model_tag, bento.model_version
        with database.session() as session:
            record_id = start_deployment(
                session, model_name=model_name, model_version=model_version,
                target="kubernetes", bento_tag=bento_tag, endpoint_url=self.service_url,
                details={"image": self.image, "model_tag": model_tag},
            ).id  # fmt: skip
        try:
            result = self._roll(model_version)
        except RolloutFailedError as exc:
            with database.session() as session:
                fail_deployment(session, record_id, str(exc))
            raise dg.Failure(description=str(exc)) from exc
        with database.session() as session:
            record = get_deployment(session, record_id)
            record.details = {
                "image": result.image,
                "model_tag": model_tag,
                "previous_image": result.previous_image,
                "revision": result.revision,
                "previous_revision": result.previous_revision,
            }
            activate_deployment(session, record_id)
        return RolloutOutcome(record_id, self.service_url, reused=False)


def deploy_target_for(settings: Settings) -> DeployTarget:
    """The deploy target the settings ask for."""
    if settings.deploy_target == "kubernetes":
        return KubernetesDeployTarget(
            namespace=settings.kubernetes_namespace,
            image=f"{settings.model_server_image}:{settings.model_server_image_tag}",
            service_url=settings.model_server_url,
        )
    return LocalDeployTarget(
        bentoml_home=str(settings.bentoml_home),
        log_dir=str(settings.home / "logs"),
        host=settings.model_server_host,
        preferred_port=settings.model_server_port,
    )
