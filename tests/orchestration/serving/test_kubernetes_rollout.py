"""`rollout_state` and `container_mount_path` on recorded Deployment objects, deserialized by
the real client (the end-to-end roll-out is in test_kubernetes_target.py)."""

import json
from types import SimpleNamespace

import pytest
from fake_kube_api import RECORDED
from kubernetes import client

from orchestration.defs.serving.kubernetes_rollout import (
    RolloutFailedError,
    container_mount_path,
    rollout_state,
)


def _recorded(name: str) -> client.V1Deployment:
    response = SimpleNamespace(data=json.dumps(RECORDED[name]))
    return client.ApiClient().deserialize(response, "V1Deployment")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("status_not_observed", "waiting for the deployment spec update to be observed"),
        ("status_progressing", "1 of 2 new replicas have been updated"),
        ("status_old_pending_termination", "1 old replicas are pending termination"),
    ],
)
def test_a_rollout_in_progress_is_not_done(name, message):
    assert rollout_state(_recorded(name)) == (False, message)


def test_a_complete_rollout_is_done():
    done, message = rollout_state(_recorded("status_complete"))
    assert done and message == "deployment model-deployment successfully rolled out"


def test_progress_deadline_exceeded_is_a_failure():
    with pytest.raises(RolloutFailedError, match="exceeded its progress deadline"):
        rollout_state(_recorded("status_deadline_exceeded"))


def test_updated_but_unavailable_replicas_are_not_done():
    recorded = json.loads(json.dumps(RECORDED["status_complete"]))
    recorded["status"]["availableReplicas"] = 1
    deployment = client.ApiClient().deserialize(
        SimpleNamespace(data=json.dumps(recorded)), "V1Deployment"
    )
    assert rollout_state(deployment) == (False, "1 of 2 updated replicas are available")


def test_mount_path_of_the_model_artifacts_volume():
    deployment = _recorded("deployment_revision_1")
    assert (
        container_mount_path(deployment, "model-server", "model-artifacts")
        == "/var/lib/quantis/models"
    )
    with pytest.raises(RolloutFailedError, match="mounts no volume 'models'"):
        container_mount_path(deployment, "model-server", "models")
