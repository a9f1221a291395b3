"""Deploy targets: where a built Bento is rolled out. Chosen once from the `deploy_target`
setting; the roll-out asset only calls `roll_out`."""

from __future__ import annotations

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
from core.settings import Settings
from core.storage import ObjectStore
from orchestration.contracts import BuiltBento
from orchestration.defs.serving.bento_build import BentoBuildError, bento_in_store, import_bento
from orchestration.defs.serving.kubernetes_rollout import KubernetesRollout, RolloutFailedError
from orchestration.defs.serving.local_server import ModelServerUnhealthyError, start_model_server
from orchestration.resources import OperationalDatabase

__all__ = [
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


class KubernetesDeployTarget(DeployTarget):
    """Patch the model-server Deployment to the Bento's image, wait for the rollout, and set
    it back when the rollout fails."""

    namespace: str = Field(description="Namespace of the model-server Deployment.")
    deployment: str = Field(default="quantis-model-server", description="Deployment name.")
    container: str = Field(default="model-server", description="Container to update.")
    image_repository: str = Field(description="Registry repository of the model-server image.")
    service_url: str = Field(description="In-cluster URL of the model-server Service.")
    timeout_s: float = Field(default=600.0, description="Seconds to wait for the rollout.")

    def _apps_api(self):
        from kubernetes import client, config

        try:
            config.load_incluster_config()
        except config.ConfigException:
            config.load_kube_config()
        return client.AppsV1Api()

    def roll_out(
        self, database: OperationalDatabase, store: ObjectStore, *, bento: BuiltBento,
        model_name: str,
    ) -> RolloutOutcome:  # fmt: skip
        bento_tag, model_version = bento.bento_tag, bento.model_version
        image = f"{self.image_repository}:{bento_tag.split(':', 1)[-1]}"
        with database.session() as session:
            record_id = start_deployment(
                session, model_name=model_name, model_version=model_version,
                target="kubernetes", bento_tag=bento_tag, endpoint_url=self.service_url,
                details={"image": image},
            ).id  # fmt: skip
        rollout = KubernetesRollout(
            self._apps_api(), namespace=self.namespace, deployment=self.deployment,
            container=self.container, timeout_s=self.timeout_s,
        )  # fmt: skip
        try:
            result = rollout.roll_out(image)
        except RolloutFailedError as exc:
            with database.session() as session:
                fail_deployment(session, record_id, str(exc))
            raise dg.Failure(description=str(exc)) from exc
        with database.session() as session:
            record = get_deployment(session, record_id)
            record.details = {"image": image, "previous_image": result.previous_image}
            activate_deployment(session, record_id)
        return RolloutOutcome(record_id, self.service_url, reused=False)


def deploy_target_for(settings: Settings) -> DeployTarget:
    """The deploy target the settings ask for."""
    if settings.deploy_target == "kubernetes":
        return KubernetesDeployTarget(
            namespace=settings.kubernetes_namespace,
            image_repository=settings.model_server_image,
            service_url=settings.model_server_url,
        )
    return LocalDeployTarget(
        bentoml_home=str(settings.home / "bentoml"),
        log_dir=str(settings.home / "logs"),
        host=settings.model_server_host,
        preferred_port=settings.model_server_port,
    )
