"""Deploy targets: where a built Bento is rolled out. Chosen once from the `deploy_target`
setting; the roll-out asset only calls `roll_out`."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import httpx
from pydantic import Field

from core.db.locks import LockTimeoutError, held_lock
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
from models.registered_versions import FetchError, fetch_model_version
from orchestration.contracts import BuiltBento
from orchestration.defs.serving.bento_build import BentoBuildError, bento_in_store, import_bento
from orchestration.defs.serving.kubernetes_rollout import (
    KubernetesRollout,
    RolloutFailedError,
    RolloutResult,
    container_mount_path,
)
from orchestration.defs.serving.local_server import ModelServerUnhealthyError, start_model_server
from orchestration.defs.serving.served_datasets import (
    local_artifacts_dir,
    read_served,
    served_lock,
    write_served,
)
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
    "served_environment",
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

    def roll_out_dataset(
        self, database: OperationalDatabase, *, dataset: str, model_name: str,
        model_version: str, tracking_uri: str,
    ) -> RolloutOutcome:  # fmt: skip
        """Serve `dataset`'s registered `model_version` (a dataset other than `default`) from
        the model server that serves every dataset, changing no other dataset's model."""
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
    artifacts_dir: str = Field(
        description="Model artifacts folder: each dataset's served versions (besides "
        "`default`'s, which is in its Bento) and served-datasets.json."
    )

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
        artifacts = Path(self.artifacts_dir)
        # Held until the new server is active: a dataset's roll-out meanwhile would swap its
        # model into the old server only and be lost with it.
        with served_lock(artifacts):
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
                    environment=served_environment(artifacts, read_served(artifacts)),
                )
            except (ModelServerUnhealthyError, BentoBuildError, ValueError) as exc:
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

    def roll_out_dataset(
        self, database: OperationalDatabase, *, dataset: str, model_name: str,
        model_version: str, tracking_uri: str,
    ) -> RolloutOutcome:  # fmt: skip
        """Fetch the version onto the artifacts folder, have the running server swap it in
        (`POST /load_model`: only this dataset's model changes, the others keep answering),
        then record it in served-datasets.json for the next server to start with. With no
        server running (the `default` dataset not rolled out yet) the version is fetched and
        recorded only: the server loads it when it starts (endpoint_url "")."""
        with database.session() as session:
            active = get_active_deployment(session, "local")
            server = (active.id, active.endpoint_url) if active and self._reusable(active) else None
        artifacts = Path(self.artifacts_dir)
        with served_lock(artifacts):
            try:
                served = read_served(artifacts)
                current = served.get(dataset) == model_version
                if server is not None and current and _serves(server[1], dataset, model_version):
                    return RolloutOutcome(server[0], server[1], reused=True)
                fetch_model_version(tracking_uri, model_name, model_version, artifacts)
                if server is not None:
                    _load_model(server[1], dataset, model_version, self.health_timeout_s)
            except (FetchError, ValueError, OSError) as exc:
                raise dg.Failure(description=f"dataset {dataset!r}: {exc}") from exc
            write_served(artifacts, served | {dataset: model_version})
        if server is None:
            return RolloutOutcome(0, "", reused=False)
        return RolloutOutcome(server[0], server[1], reused=False)


def served_environment(artifacts_dir: Path, served: dict[str, str]) -> dict[str, str]:
    """The variables that make a model server load each dataset's served version."""
    return {
        _setting_variable("model_artifacts_dir"): str(artifacts_dir),
        _setting_variable("served_dataset_versions"): json.dumps(served, sort_keys=True),
    }


def _serves(url: str, dataset: str, version: str) -> bool:
    try:
        answer = httpx.post(f"{url}/model_info", json={"dataset": dataset}, timeout=10)
    except httpx.HTTPError:
        return False
    return answer.status_code == 200 and answer.json().get("version") == version


def _load_model(url: str, dataset: str, version: str, timeout_s: float) -> None:
    """Ask the running server to swap `dataset`'s model; ValueError with its reason if not."""
    try:
        answer = httpx.post(
            f"{url}/load_model", json={"dataset": dataset, "version": version}, timeout=timeout_s
        )
    except httpx.HTTPError as exc:
        raise ValueError(
            f"the model server at {url} did not load version {version}: {exc}"
        ) from exc
    if answer.status_code != 200:
        raise ValueError(
            f"the model server at {url} did not load version {version} (HTTP "
            f"{answer.status_code}: {answer.text[:500]}); it serves the previous one"
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
    lock_wait_s: float | None = Field(
        default=None,
        description="Seconds a roll-out waits for another one of the model server to end "
        "(default: twice timeout_s plus a minute, time for its wait and undo).",
    )

    def _one_at_a_time(self, database: OperationalDatabase):
        """Every roll-out of the model server (any dataset's, from any run or pod) holds this
        lock from reading the Deployment to the end of its wait or undo: two at once would
        each write the served-versions map they read (one entry lost), or undo the other's."""
        return held_lock(
            database.engine, f"rollout.{self.namespace}.{self.deployment}",
            wait_s=self.lock_wait_s if self.lock_wait_s is not None else 2 * self.timeout_s + 60,
            poll_s=min(self.poll_s, 5.0),
        )  # fmt: skip

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

    def roll_out_dataset(
        self, database: OperationalDatabase, *, dataset: str, model_name: str,
        model_version: str, tracking_uri: str,
    ) -> RolloutOutcome:  # fmt: skip
        """Change only `dataset`'s entry of QUANTIS_SERVED_DATASET_VERSIONS on the model
        server's pod template (server and fetch-model init container, which fetches every
        entry): a rolling update, undone to the previous revision when it fails, in which the
        other datasets keep their versions."""
        from kubernetes.client.exceptions import ApiException
        from kubernetes.config import ConfigException
        from urllib3.exceptions import HTTPError

        variable = _setting_variable("served_dataset_versions")
        try:
            with self._one_at_a_time(database):
                rollout = self._rollout()
                current = rollout.read()
                served = _served_on(current, self.container, variable)
                if served.get(dataset) == model_version:
                    return RolloutOutcome(_serving_record(database), self.service_url, reused=True)
                env = {
                    _setting_variable("model_artifacts_dir"): container_mount_path(
                        current, self.container, self.artifacts_volume
                    ),
                    variable: json.dumps(served | {dataset: model_version}, sort_keys=True),
                }
                rollout.roll_out(self.image, env, current=current)
        except ApiException as exc:
            raise dg.Failure(
                description=f"dataset {dataset!r}: the Kubernetes API answered {exc.status} "
                f"{exc.reason} for {self.namespace}/{self.deployment}: {(exc.body or '')[:500]}"
            ) from exc
        except (
            ConfigException,
            HTTPError,
            RolloutFailedError,
            LockTimeoutError,
            ValueError,
        ) as exc:
            raise dg.Failure(description=f"dataset {dataset!r}: {exc}") from exc
        return RolloutOutcome(_serving_record(database), self.service_url, reused=False)

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
            with self._one_at_a_time(database):
                result = self._roll(model_version)
        except (RolloutFailedError, LockTimeoutError) as exc:
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


def _serving_record(database: OperationalDatabase) -> int:
    """The active deployment record of the server that serves every dataset (0: none yet,
    the `default` dataset was never rolled out by the pipeline)."""
    with database.session() as session:
        active = get_active_deployment(session, "kubernetes")
        return active.id if active else 0


def _served_on(deployment, container: str, variable: str) -> dict[str, str]:
    """The dataset -> version map `container` of `deployment` serves now (empty if unset)."""
    for candidate in deployment.spec.template.spec.containers:
        if candidate.name == container:
            for env in candidate.env or []:
                if env.name == variable and env.value:
                    served = json.loads(env.value)
                    if not isinstance(served, dict):
                        raise ValueError(f"{variable} on {container} is not a JSON object")
                    return {str(k): str(v) for k, v in served.items()}
    return {}


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
        artifacts_dir=str(local_artifacts_dir(settings)),
    )
