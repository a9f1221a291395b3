"""Roll the model-server Deployment to a new image and undo it when the rollout fails.

Mirrors `kubectl set image` + `kubectl rollout status` + `kubectl rollout undo` with the
Kubernetes Python client, so the pipeline needs no kubectl binary in its image.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["KubernetesRollout", "RolloutFailedError", "RolloutResult", "rollout_state"]


class RolloutFailedError(RuntimeError):
    """The new image did not roll out; the Deployment was set back to its previous image."""


@dataclass(frozen=True)
class RolloutResult:
    deployment: str
    namespace: str
    image: str
    previous_image: str


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


class KubernetesRollout:
    """Set the image of one container of one Deployment and wait for it to be available."""

    def __init__(
        self,
        apps_api: Any,
        *,
        namespace: str,
        deployment: str,
        container: str,
        timeout_s: float = 600.0,
        poll_s: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.apps = apps_api
        self.namespace, self.deployment, self.container = namespace, deployment, container
        self.timeout_s, self.poll_s = timeout_s, poll_s
        self._sleep, self._clock = sleep, clock

    def _current_image(self) -> str:
        found = self.apps.read_namespaced_deployment(self.deployment, self.namespace)
        for container in found.spec.template.spec.containers:
            if container.name == self.container:
                return container.image
        raise RolloutFailedError(
            f"deployment {self.namespace}/{self.deployment} has no container {self.container!r}"
        )

    def _set_image(self, image: str) -> None:
        body = {
            "spec": {
                "template": {"spec": {"containers": [{"name": self.container, "image": image}]}}
            }
        }
        self.apps.patch_namespaced_deployment(self.deployment, self.namespace, body)

    def _wait(self) -> str:
        deadline = self._clock() + self.timeout_s
        message = "no status read yet"
        while self._clock() < deadline:
            status = self.apps.read_namespaced_deployment_status(self.deployment, self.namespace)
            done, message = rollout_state(status)
            if done:
                return message
            self._sleep(self.poll_s)
        raise RolloutFailedError(f"rollout timed out after {self.timeout_s:.0f}s: {message}")

    def roll_out(self, image: str) -> RolloutResult:
        previous = self._current_image()
        self._set_image(image)
        try:
            self._wait()
        except RolloutFailedError as failure:
            self._set_image(previous)
            raise RolloutFailedError(
                f"rollout of {image} to {self.namespace}/{self.deployment} failed ({failure}); "
                f"the deployment was set back to {previous}"
            ) from failure
        return RolloutResult(self.deployment, self.namespace, image, previous)
