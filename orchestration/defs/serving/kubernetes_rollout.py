"""Roll a Deployment to a new image and environment, and undo it when the rollout fails.

Mirrors `kubectl set image` / `set env` + `kubectl rollout status` + `kubectl rollout undo`
with the Kubernetes Python client, so the pipeline needs no kubectl binary in its image:

- the change is one strategic-merge patch of the named containers (and init containers), so
  every other field of the pod template stays as the manifests made it;
- "done" follows `kubectl rollout status`: the spec change observed, every replica updated
  and available, no old replica left, and `ProgressDeadlineExceeded` is a failure;
- the undo puts back the pod template of the ReplicaSet of the previous revision, as
  `kubectl rollout undo` does, so image and environment return together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "REVISION_ANNOTATION",
    "KubernetesRollout",
    "RolloutFailedError",
    "RolloutResult",
    "container_mount_path",
    "rollout_state",
]

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
# The ReplicaSet controller adds this label to the pod templates it owns; a Deployment's
# own template never carries it (kubectl strips it on undo too).
_POD_TEMPLATE_HASH = "pod-template-hash"
_STRATEGIC_MERGE = "application/strategic-merge-patch+json"
_JSON_PATCH = "application/json-patch+json"


class RolloutFailedError(RuntimeError):
    """The rollout did not complete; the message says whether it was undone."""


@dataclass(frozen=True)
class RolloutResult:
    deployment: str
    namespace: str
    image: str
    previous_image: str
    revision: str | None
    previous_revision: str | None


def rollout_state(deployment: Any) -> tuple[bool, str]:
    """(done, message) for a Deployment object, by the rules `kubectl rollout status` uses."""
    spec, status, meta = deployment.spec, deployment.status, deployment.metadata
    for condition in status.conditions or []:
        if condition.type == "Progressing" and condition.reason == "ProgressDeadlineExceeded":
            raise RolloutFailedError(f"deployment {meta.name} exceeded its progress deadline")
    if (status.observed_generation or 0) < (meta.generation or 0):
        return False, "waiting for the deployment spec update to be observed"
    wanted = spec.replicas if spec.replicas is not None else 1
    updated = status.updated_replicas or 0
    if updated < wanted:
        return False, f"{updated} of {wanted} new replicas have been updated"
    if (status.replicas or 0) > updated:
        return False, f"{(status.replicas or 0) - updated} old replicas are pending termination"
    if (status.available_replicas or 0) < updated:
        return (
            False,
            f"{status.available_replicas or 0} of {updated} updated replicas are available",
        )
    return True, f"deployment {meta.name} successfully rolled out"


def container_mount_path(deployment: Any, container: str, volume: str) -> str:
    """Where `container` of `deployment` mounts `volume` (RolloutFailedError if it does not)."""
    for candidate in deployment.spec.template.spec.containers:
        if candidate.name == container:
            for mount in candidate.volume_mounts or []:
                if mount.name == volume:
                    return mount.mount_path
    raise RolloutFailedError(
        f"deployment {deployment.metadata.name}: container {container!r} mounts no "
        f"volume {volume!r}"
    )


def _revision(obj: Any) -> str | None:
    return (obj.metadata.annotations or {}).get(REVISION_ANNOTATION)


class KubernetesRollout:
    """Patch the image and environment of named containers of one Deployment and wait for it.

    `containers` is the main container; `init_containers` are patched along with it when the
    Deployment has them (a model fetcher must run the same image as the server).
    """

    def __init__(
        self,
        apps_api: Any,
        *,
        namespace: str,
        deployment: str,
        container: str,
        init_containers: Sequence[str] = (),
        timeout_s: float = 600.0,
        poll_s: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.apps = apps_api
        self.namespace, self.deployment, self.container = namespace, deployment, container
        self.init_containers = tuple(init_containers)
        self.timeout_s, self.poll_s = timeout_s, poll_s
        self._sleep, self._clock = sleep, clock

    def read(self) -> Any:
        """The Deployment as the API server has it now."""
        return self.apps.read_namespaced_deployment(self.deployment, self.namespace)

    def _current_image(self, deployment: Any) -> str:
        for container in deployment.spec.template.spec.containers:
            if container.name == self.container:
                return container.image
        raise RolloutFailedError(
            f"deployment {self.namespace}/{self.deployment} has no container {self.container!r}"
        )

    def _patch_body(self, deployment: Any, image: str, env: Mapping[str, str]) -> dict:
        variables = [{"name": name, "value": value} for name, value in env.items()]

        def change(name: str) -> dict:
            return {"name": name, "image": image, "env": variables}

        pod_spec: dict[str, Any] = {"containers": [change(self.container)]}
        present = {c.name for c in deployment.spec.template.spec.init_containers or []}
        init = [change(name) for name in self.init_containers if name in present]
        if init:
            pod_spec["initContainers"] = init
        return {"spec": {"template": {"spec": pod_spec}}}

    def _wait(self) -> str:
        deadline = self._clock() + self.timeout_s
        message = "no status read yet"
        while self._clock() < deadline:
            status = self.apps.read_namespaced_deployment_status(self.deployment, self.namespace)
            done, message = rollout_state(status)
            if done:
                return message
            self._sleep(self.poll_s)
        raise RolloutFailedError(f"rollout timed out after {self.timeout_s:g}s: {message}")

    def _replica_set_of_revision(self, deployment: Any, revision: str) -> Any:
        selector = ",".join(f"{k}={v}" for k, v in deployment.spec.selector.match_labels.items())
        found = self.apps.list_namespaced_replica_set(self.namespace, label_selector=selector)
        for replica_set in found.items:
            owners = replica_set.metadata.owner_references or []
            owned = any(o.kind == "Deployment" and o.uid == deployment.metadata.uid for o in owners)
            if owned and _revision(replica_set) == revision:
                return replica_set
        raise RolloutFailedError(
            f"no ReplicaSet of {self.namespace}/{self.deployment} has revision {revision}"
        )

    def undo(self, deployment: Any, revision: str) -> None:
        """Put back the pod template of `revision` (`kubectl rollout undo --to-revision`)."""
        replica_set = self._replica_set_of_revision(deployment, revision)
        template = self.apps.api_client.sanitize_for_serialization(replica_set.spec.template)
        template.get("metadata", {}).get("labels", {}).pop(_POD_TEMPLATE_HASH, None)
        body = [{"op": "replace", "path": "/spec/template", "value": template}]
        self.apps.patch_namespaced_deployment(
            self.deployment, self.namespace, body, _content_type=_JSON_PATCH
        )

    def roll_out(
        self, image: str, env: Mapping[str, str] | None = None, *, current: Any = None
    ) -> RolloutResult:
        """Set `image` and `env` on the containers and wait; undo and raise if it fails."""
        before = current if current is not None else self.read()
        previous_image, previous_revision = self._current_image(before), _revision(before)
        patched = self.apps.patch_namespaced_deployment(
            self.deployment,
            self.namespace,
            self._patch_body(before, image, env or {}),
            _content_type=_STRATEGIC_MERGE,
        )
        try:
            self._wait()
        except RolloutFailedError as failure:
            where = f"{self.namespace}/{self.deployment}"
            if previous_revision is None:
                raise RolloutFailedError(
                    f"rollout of {image} to {where} failed ({failure}) and there is no "
                    "previous revision to undo to"
                ) from failure
            try:
                self.undo(patched, previous_revision)
            except RolloutFailedError as undo_failure:
                raise RolloutFailedError(
                    f"rollout of {image} to {where} failed ({failure}); undo failed too "
                    f"({undo_failure})"
                ) from failure
            raise RolloutFailedError(
                f"rollout of {image} to {where} failed ({failure}); the deployment was set "
                f"back to revision {previous_revision} ({previous_image})"
            ) from failure
        # The controller writes the new revision after the patch; read it once done.
        return RolloutResult(
            self.deployment, self.namespace, image, previous_image,
            _revision(self.read()), previous_revision,
        )  # fmt: skip
