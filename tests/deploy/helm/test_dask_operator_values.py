"""deploy/helm/dask-operator-values.yaml renders with the operator's own chart (the one the
dask-kubernetes wheel of uv.lock ships), and the DaskCluster the training step creates
(orchestration/compute.py) is valid against that operator's CRD schema."""

from __future__ import annotations

import subprocess
from pathlib import Path

import dask_kubernetes
import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import latest_version
from manifests import REPO_ROOT, kubectl_bin_dir, render

from orchestration.compute import dask_cluster_spec

VALUES_FILE = REPO_ROOT / "deploy" / "helm" / "dask-operator-values.yaml"
CHART = Path(dask_kubernetes.__file__).parent / "operator/deployment/helm/dask-kubernetes-operator"


def _rendered() -> list[dict]:
    done = subprocess.run(
        [str(kubectl_bin_dir() / "helm"), "template", "dask-operator", str(CHART),
         "--namespace", "dask-operator", "-f", str(VALUES_FILE)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def test_the_operator_chart_renders_valid_objects_watching_only_quantis():
    objects = _rendered()
    for obj in objects:
        kubernetes_validate.validate(obj, latest_version(), strict=True)
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert "--namespace=quantis" in container["args"]
    assert "--all-namespaces" not in container["args"]
    assert container["image"].endswith(":" + dask_kubernetes.__version__)


def _crd_schema() -> dict:
    crd = yaml.safe_load((CHART / "crds" / "daskcluster.yaml").read_text())
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    return version["schema"]["openAPIV3Schema"]


@pytest.mark.parametrize("gpus", [0, 1])
def test_the_steps_dask_cluster_is_valid_for_the_operators_crd(gpus):
    spec = dask_cluster_spec(
        "quantis-train-1", image="quantis/dagster:1", workers=4, threads_per_worker=1,
        memory="8Gi", node_selector={"quantis.io/pool": "gpu-spot"},
        gpu_toleration_key="nvidia.com/gpu", gpu_limit=gpus,
    )  # fmt: skip
    jsonschema.validate(spec, _crd_schema())
    # the pod specs inside are real PodSpecs
    for role in ("scheduler", "worker"):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}}
        pod["spec"] = spec["spec"][role]["spec"]
        kubernetes_validate.validate(pod, latest_version(), strict=True)


def test_the_training_step_may_create_dask_clusters_and_nothing_more():
    rendered = render("base")
    role = rendered.get("Role", "dask-cluster-owner")
    binding = rendered.get("RoleBinding", "dask-cluster-owner")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "quantis-dagster", "namespace": "quantis"}
    ]
    writes = {
        resource
        for rule in role["rules"]
        if {"create", "delete"} & set(rule["verbs"])
        for resource in rule["resources"]
    }
    assert writes == {"daskclusters", "daskworkergroups", "daskautoscalers"}
