"""The Kubernetes roll-out against recorded API responses (Deployment objects as the API
server returned them during a rollout), deserialized by the real client."""

import json
from types import SimpleNamespace

import pytest
from kubernetes import client

from orchestration.defs.serving.kubernetes_rollout import (
    KubernetesRollout,
    RolloutFailedError,
    rollout_state,
)


def _deployment(image: str, *, generation: int, observed: int, updated: int, available: int,
                replicas: int = 2, total: int | None = None, conditions=None) -> client.V1Deployment:  # fmt: skip
    recorded = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "quantis-model-server",
            "namespace": "quantis",
            "generation": generation,
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "quantis-model-server"}},
            "template": {
                "metadata": {"labels": {"app": "quantis-model-server"}},
                "spec": {"containers": [{"name": "model-server", "image": image}]},
            },
        },
        "status": {
            "observedGeneration": observed,
            "replicas": total if total is not None else replicas,
            "updatedReplicas": updated,
            "availableReplicas": available,
            "conditions": conditions or [],
        },
    }
    response = SimpleNamespace(data=json.dumps(recorded))
    return client.ApiClient().deserialize(response, "V1Deployment")


class RecordedAppsApi:
    """Replays recorded status responses and records the patches it receives."""

    def __init__(self, current_image: str, statuses: list):
        self.current_image = current_image
        self.statuses = list(statuses)
        self.patches: list[str] = []

    def read_namespaced_deployment(self, name, namespace):
        return _deployment(self.current_image, generation=1, observed=1, updated=2, available=2)

    def patch_namespaced_deployment(self, name, namespace, body):
        image = body["spec"]["template"]["spec"]["containers"][0]["image"]
        self.patches.append(image)
        self.current_image = image

    def read_namespaced_deployment_status(self, name, namespace):
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


def _rollout(api, timeout_s=60.0):
    clock = iter(range(0, 10_000)).__next__
    return KubernetesRollout(
        api, namespace="quantis", deployment="quantis-model-server", container="model-server",
        timeout_s=timeout_s, poll_s=1, sleep=lambda _: None, clock=lambda: float(clock()),
    )  # fmt: skip


def test_successful_rollout_waits_for_all_new_replicas():
    statuses = [
        _deployment("new", generation=2, observed=1, updated=0, available=2),
        _deployment("new", generation=2, observed=2, updated=1, available=2, total=3),
        _deployment("new", generation=2, observed=2, updated=2, available=1),
        _deployment("new", generation=2, observed=2, updated=2, available=2),
    ]
    api = RecordedAppsApi("registry/model:old", statuses)
    result = _rollout(api).roll_out("registry/model:new")
    assert api.patches == ["registry/model:new"]
    assert result.previous_image == "registry/model:old"
    assert not api.statuses[1:]  # every recorded status was read


def test_failed_rollout_sets_the_previous_image_back():
    stuck = _deployment(
        "new", generation=2, observed=2, updated=1, available=2, total=3,
        conditions=[{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}],
    )  # fmt: skip
    api = RecordedAppsApi("registry/model:old", [stuck])
    with pytest.raises(RolloutFailedError, match="set back to registry/model:old"):
        _rollout(api).roll_out("registry/model:new")
    assert api.patches == ["registry/model:new", "registry/model:old"]


def test_rollout_that_never_completes_times_out_and_is_undone():
    pending = _deployment("new", generation=2, observed=2, updated=1, available=1)
    api = RecordedAppsApi("registry/model:old", [pending])
    with pytest.raises(RolloutFailedError, match="timed out"):
        _rollout(api, timeout_s=5).roll_out("registry/model:new")
    assert api.patches[-1] == "registry/model:old"


def test_rollout_state_messages():
    done, message = rollout_state(
        _deployment("x", generation=3, observed=2, updated=2, available=2)
    )
    assert not done and "observed" in message
