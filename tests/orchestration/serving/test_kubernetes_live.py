"""The Kubernetes roll-out against a real cluster. It runs only where KUBECONFIG names one
(this machine has no cluster; the recorded-response tests cover the logic everywhere)."""

from __future__ import annotations

import os
import secrets

import pytest

from orchestration.defs.serving.kubernetes_rollout import KubernetesRollout, RolloutFailedError

pytestmark = pytest.mark.skipif(
    not os.environ.get("KUBECONFIG"),
    reason="live-cluster roll-out test: set KUBECONFIG to a cluster where namespaces may be created",
)

GOOD = "registry.k8s.io/pause:3.10"
BROKEN = "registry.invalid/quantis/does-not-exist:0"


def test_rollout_and_undo_on_a_live_cluster():
    from kubernetes import client, config

    config.load_kube_config()
    core, apps = client.CoreV1Api(), client.AppsV1Api()
    namespace = f"quantis-rollout-test-{secrets.token_hex(3)}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    try:
        labels = {"app": "quantis-model-server"}
        apps.create_namespaced_deployment(
            namespace,
            client.V1Deployment(
                metadata=client.V1ObjectMeta(name="quantis-model-server"),
                spec=client.V1DeploymentSpec(
                    replicas=1,
                    progress_deadline_seconds=30,
                    selector=client.V1LabelSelector(match_labels=labels),
                    template=client.V1PodTemplateSpec(
                        metadata=client.V1ObjectMeta(labels=labels),
                        spec=client.V1PodSpec(
                            containers=[client.V1Container(name="model-server", image=GOOD)]
                        ),
                    ),
                ),
            ),
        )
        rollout = KubernetesRollout(
            apps, namespace=namespace, deployment="quantis-model-server",
            container="model-server", timeout_s=180, poll_s=2,
        )  # fmt: skip
        assert rollout.roll_out(GOOD).image == GOOD
        with pytest.raises(RolloutFailedError, match="set back to"):
            rollout.roll_out(BROKEN)
        current = apps.read_namespaced_deployment("quantis-model-server", namespace)
        assert current.spec.template.spec.containers[0].image == GOOD
    finally:
        core.delete_namespace(namespace)
