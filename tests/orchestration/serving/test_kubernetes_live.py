"""The Kubernetes roll-out against a real cluster. It runs only where KUBECONFIG names one
(this machine has no cluster; test_kubernetes_target.py covers the logic everywhere against
recorded responses). It uses the contract's names (model-deployment, model-server) in a
throwaway namespace, and checks that the undo restores the environment with the image."""

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
        labels = {"app.kubernetes.io/name": "model-server"}
        apps.create_namespaced_deployment(
            namespace,
            client.V1Deployment(
                metadata=client.V1ObjectMeta(name="model-deployment"),
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
            apps, namespace=namespace, deployment="model-deployment",
            container="model-server", timeout_s=180, poll_s=2,
        )  # fmt: skip
        assert rollout.roll_out(GOOD, {"QUANTIS_SERVED_MODEL_VERSION": "1"}).image == GOOD
        with pytest.raises(RolloutFailedError, match="set back to revision"):
            rollout.roll_out(BROKEN, {"QUANTIS_SERVED_MODEL_VERSION": "2"})
        current = apps.read_namespaced_deployment("model-deployment", namespace)
        [server] = current.spec.template.spec.containers
        assert server.image == GOOD
        assert [(e.name, e.value) for e in server.env] == [("QUANTIS_SERVED_MODEL_VERSION", "1")]
    finally:
        core.delete_namespace(namespace)
