"""Re-record `kubernetes_rollout.json` from a real cluster (`KUBECONFIG` must name one where
namespaces may be created): `python tests/orchestration/serving/recorded/record_kubernetes.py`.

It creates a throwaway namespace with a Deployment shaped like model-deployment (a
fetch-model init container and a model-server container mounting model-artifacts), rolls it
to a new image with KubernetesRollout, then to a broken image until ProgressDeadlineExceeded
and the undo, and keeps every API answer the client received. Answers are named by what they
show (the names the tests use); entries the run did not produce keep their old content.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

OLD = "registry.k8s.io/e2e-test-images/busybox:1.36.1-1"
NEW = "docker.io/library/busybox:1.37.0"
BROKEN = "registry.invalid/quantis/does-not-exist:0"
# Answers seen more than once that the tests want the last of (the end state).
LAST_WINS = {"status_complete", "deployment_revision_2", "deployment_undone"}


def _deployment(client):
    labels = {"app.kubernetes.io/name": "model-server", "app.kubernetes.io/component": "serving"}
    mount = client.V1VolumeMount(name="model-artifacts", mount_path="/var/lib/quantis/models")
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name="model-deployment", labels=labels),
        spec=client.V1DeploymentSpec(
            replicas=2,
            progress_deadline_seconds=30,
            selector=client.V1LabelSelector(match_labels=labels),
            strategy=client.V1DeploymentStrategy(
                rolling_update=client.V1RollingUpdateDeployment(max_surge=1, max_unavailable=0)
            ),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    init_containers=[client.V1Container(
                        name="fetch-model", image=OLD, command=["true"], volume_mounts=[mount])],
                    containers=[client.V1Container(
                        name="model-server", image=OLD, command=["sleep", "3600"],
                        volume_mounts=[mount])],
                    volumes=[client.V1Volume(
                        name="model-artifacts", empty_dir=client.V1EmptyDirVolumeSource())],
                ),
            ),
        ),
    )  # fmt: skip


def _name(method: str, path: str, body: dict, phase: str, named: dict) -> str | None:
    """The fixture name an answer stands for, or None when it adds nothing."""
    if body.get("kind") == "ReplicaSetList":
        return "replicasets"
    if method == "PATCH":
        return "deployment_patched" if phase == "good" else "deployment_undone"
    if not path.endswith("/status"):
        return (
            "deployment_revision_1"
            if "deployment_patched" not in named
            else "deployment_revision_2"
        )
    status, generation = body["status"], body["metadata"]["generation"]
    if any(c.get("reason") == "ProgressDeadlineExceeded" for c in status.get("conditions", [])):
        return "status_deadline_exceeded"
    if phase != "good":
        return None
    if status.get("observedGeneration", 0) < generation:
        return "status_not_observed"
    if status.get("updatedReplicas", 0) < body["spec"]["replicas"]:
        return "status_progressing"
    if status.get("replicas", 0) > status.get("updatedReplicas", 0):
        return "status_old_pending_termination"
    return "status_complete"


def main() -> None:
    from kubernetes import client, config

    from orchestration.defs.serving.kubernetes_rollout import KubernetesRollout, RolloutFailedError

    config.load_kube_config()
    core, apps = client.CoreV1Api(), client.AppsV1Api()
    answers: list[tuple[str, str, dict, str]] = []
    phase = ["setup"]
    request = apps.api_client.rest_client.request

    def recording_request(method, url, *args, **kwargs):
        response = request(method, url, *args, **kwargs)
        if "/deployments/" in url or url.split("?")[0].endswith("/replicasets"):
            answers.append((method, url.split("?")[0], json.loads(response.data), phase[0]))
        return response

    apps.api_client.rest_client.request = recording_request
    namespace = f"quantis-record-{secrets.token_hex(3)}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    try:
        apps.create_namespaced_deployment(namespace, _deployment(client))
        rollout = KubernetesRollout(
            apps, namespace=namespace, deployment="model-deployment", container="model-server",
            init_containers=["fetch-model"], timeout_s=300, poll_s=0.2,
        )  # fmt: skip
        rollout._wait()  # the first revision, available
        answers.clear()
        phase[0] = "good"
        rollout.roll_out(NEW, {"QUANTIS_SERVED_MODEL_VERSION": "7"})
        phase[0] = "broken"
        try:
            rollout.roll_out(BROKEN, {"QUANTIS_SERVED_MODEL_VERSION": "8"})
        except RolloutFailedError:
            pass
        else:
            raise SystemExit("the broken image rolled out: nothing to record")
    finally:
        core.delete_namespace(namespace)
    path = HERE / "kubernetes_rollout.json"
    recorded = json.loads(path.read_text())
    named: dict[str, dict] = {}
    for method, url, body, when in answers:
        name = _name(method, url, body, when, named)
        if name and (name not in named or name in LAST_WINS):
            named[name] = body
    recorded.update(named)
    recorded["_about"] = (
        "Kubernetes API answers during a roll-out, recorded by record_kubernetes.py from "
        f"{client.VersionApi().get_code().git_version}: {', '.join(sorted(named))}."
    )
    path.write_text(json.dumps(recorded, indent=1, sort_keys=True))
    print(f"recorded {len(named)} answers: {', '.join(sorted(named))}")


if __name__ == "__main__":
    main()
