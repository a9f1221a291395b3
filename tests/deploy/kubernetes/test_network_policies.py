"""Every real call path of Quantis gets through the rendered NetworkPolicies of each
environment, and nothing else does: the evaluator (tests/deploy/network_policy.py) is asked
about every (source, destination, listening port) of the pods in the cluster plus the
addresses outside it, and the allowed set must equal the call paths below exactly.

The pods of the quantis namespace come from the rendered manifests; the Dagster release's
pods carry the chart's selector labels (release `dagster`) and, for launched runs and steps,
the labels dagster-k8s gives them (`get_common_labels`); the peers in other namespaces and
outside the cluster are the ones the policies are written for, plus strangers.
"""

from __future__ import annotations

import pytest
from dagster_k8s.utils import get_common_labels
from manifests import ENVIRONMENTS, render
from network_policy import Endpoint, PolicySet
from tfconfig import module_input

from orchestration.compute import dask_cluster_spec

PUBLIC_S3 = "52.216.8.1"  # an address of s3.us-east-1.amazonaws.com


def _vpc_host(environment: str, offset: int) -> str:
    """An address in the environment's VPC (terraform/environments/<env>: vpc_cidr)."""
    import ipaddress

    network = ipaddress.ip_network(module_input(environment, "network", "vpc_cidr"))
    return str(network.network_address + offset)


def _pods(environment: str) -> list[Endpoint]:
    rendered = render(environment)
    pods = []
    for workload, template in rendered.pod_templates():
        ports = {}
        for container in template["spec"]["containers"]:
            for port in container.get("ports", []):
                key = port.get("name", str(port["containerPort"]))
                ports[key] = (port["containerPort"], port.get("protocol", "TCP"))
        pods.append(
            Endpoint(
                workload["metadata"]["labels"]["app.kubernetes.io/name"],
                workload["metadata"]["namespace"],
                template["metadata"]["labels"],
                ports=ports,
            )
        )
    return pods


def _dagster_pods() -> list[Endpoint]:
    chart = {"app.kubernetes.io/name": "dagster", "app.kubernetes.io/instance": "dagster"}
    user_code = {"app.kubernetes.io/name": "dagster-user-deployments",
                 "app.kubernetes.io/instance": "dagster"}  # fmt: skip
    return [
        Endpoint("dagster-webserver", "quantis", chart | {"component": "dagster-webserver"},
                 ports={"http": (3000, "TCP")}),
        Endpoint("dagster-daemon", "quantis", chart | {"component": "dagster-daemon"}),
        Endpoint("dagster-user-code", "quantis", user_code, ports={"grpc": (3030, "TCP")}),
        Endpoint("dagster-step", "quantis",
                 get_common_labels() | {"app.kubernetes.io/component": "step_worker"}),
    ]  # fmt: skip


def _dask_pods() -> list[Endpoint]:
    """A training step's Dask cluster as the operator makes it from orchestration/compute.py's
    DaskCluster (labels from its metadata, plus the operator's own)."""
    spec = dask_cluster_spec(
        "quantis-train-x", image="i", workers=2, threads_per_worker=1, memory="1Gi",
        node_selector={}, gpu_toleration_key="nvidia.com/gpu", gpu_limit=0,
    )  # fmt: skip
    pods = []
    for role in ("scheduler", "worker"):
        labels = spec["metadata"]["labels"] | {
            "dask.org/cluster-name": "quantis-train-x", "dask.org/component": role,
        }  # fmt: skip
        [container] = spec["spec"][role]["spec"]["containers"]
        ports = {p["name"]: (p["containerPort"], p["protocol"]) for p in container["ports"]}
        pods.append(Endpoint(f"dask-{role}", "quantis", labels, ports=ports))
    return pods


def _outside(environment: str) -> list[Endpoint]:
    return [
        Endpoint("dask-operator", "dask-operator",
                 {"app.kubernetes.io/name": "dask-kubernetes-operator"}),
        Endpoint("ingress-nginx", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}),
        Endpoint("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}),
        Endpoint("kube-dns", "kube-system", {"k8s-app": "kube-dns"},
                 ports={"dns": (53, "UDP"), "dns-tcp": (53, "TCP")}),
        # A pod of another team: it must reach nothing of ours, nor we it.
        Endpoint("stranger", "tenant", {"app.kubernetes.io/name": "backend"},
                 ports={"http": (8000, "TCP")}),
        Endpoint("s3", ip=PUBLIC_S3, ports={"https": (443, "TCP")}),
        Endpoint("kubernetes-api", ip=_vpc_host(environment, 10), ports={"https": (443, "TCP")}),
        Endpoint("rds", ip=_vpc_host(environment, 20), ports={"postgres": (5432, "TCP")}),
        Endpoint("instance-metadata", ip="169.254.169.254", ports={"http": (80, "TCP")}),
        Endpoint("elsewhere-private", ip="192.168.7.7", ports={"https": (443, "TCP")}),
    ]  # fmt: skip


DAGSTER = ("dagster-webserver", "dagster-daemon", "dagster-user-code", "dagster-step")
DASK = ("dask-scheduler", "dask-worker")
DNS_CLIENTS = (
    "frontend", "backend", "model-server", "mlflow", "database", "database-backup", *DAGSTER,
    *DASK,
)  # fmt: skip


def _call_paths(environment: str) -> set[tuple[str, str, int, str]]:
    """The paths Quantis really uses, and so the only ones that may be open."""
    database = "database" if environment == "dev" else "rds"
    paths = {
        ("ingress-nginx", "frontend", 80), ("ingress-nginx", "backend", 8000),
        ("frontend", "backend", 8000),  # nginx's /api/ proxy
        ("backend", "model-server", 8001), ("backend", database, 5432),
        ("backend", "mlflow", 5000), ("backend", "dagster-webserver", 3000),
        ("model-server", "mlflow", 5000), ("model-server", "s3", 443),  # fetch-model
        ("mlflow", database, 5432), ("mlflow", "s3", 443),
        ("prometheus", "backend", 8000), ("prometheus", "model-server", 8001),
    }  # fmt: skip
    for dagster in DAGSTER:
        paths |= {
            (dagster, database, 5432), (dagster, "mlflow", 5000), (dagster, "s3", 443),
            (dagster, "model-server", 8001), (dagster, "kubernetes-api", 443),
            (dagster, "dagster-webserver", 3000), (dagster, "dagster-user-code", 3030),
            (dagster, "dask-scheduler", 8786), (dagster, "dask-worker", 8789),
        }  # fmt: skip
    paths |= {
        ("dask-worker", "dask-scheduler", 8786), ("dask-worker", "s3", 443),
        ("dask-scheduler", "dask-worker", 8789), ("dask-scheduler", "dask-worker", 8790),
        ("dask-operator", "dask-scheduler", 8786), ("dask-operator", "dask-scheduler", 8787),
    }  # fmt: skip
    if environment == "dev":
        paths |= {("database", "s3", 443), ("database-backup", "database", 5432)}
    with_protocol = {(source, target, port, "TCP") for source, target, port in paths}
    for client in DNS_CLIENTS:
        with_protocol |= {(client, "kube-dns", 53, "UDP"), (client, "kube-dns", 53, "TCP")}
    present = {e.name for e in _endpoints(environment)}
    return {p for p in with_protocol if p[0] in present and p[1] in present and p[0] != p[1]}


def _endpoints(environment: str) -> list[Endpoint]:
    return _pods(environment) + _dagster_pods() + _dask_pods() + _outside(environment)


def _policies(environment: str) -> PolicySet:
    rendered = render(environment)
    namespaces = {
        ns["metadata"]["name"]: dict(ns["metadata"].get("labels", {}))
        for ns in rendered.of_kind("Namespace")
    }
    for other in ("ingress-nginx", "monitoring", "kube-system", "tenant", "dask-operator"):
        namespaces[other] = {}
    return PolicySet(rendered.of_kind("NetworkPolicy"), namespaces)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_exactly_the_call_paths_are_open(environment):
    endpoints = _endpoints(environment)
    ours = {e.name for e in endpoints if e.namespace == "quantis"}
    # What the policies govern: connections from or to a pod of the quantis namespace.
    allowed = {
        path
        for path in _policies(environment).reachable(endpoints, endpoints)
        if path[0] in ours or path[1] in ours
    }
    expected = _call_paths(environment)
    assert sorted(expected - allowed) == [], "call paths the policies block"
    assert sorted(allowed - expected) == [], "paths open that nothing uses"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_quantis_pod_is_isolated_both_ways(environment):
    policies = _policies(environment)
    for pod in _pods(environment) + _dask_pods():
        for direction in ("Ingress", "Egress"):
            assert policies._selecting(pod, direction), f"{pod.name} is not isolated ({direction})"


def test_the_model_of_the_cluster_covers_every_workload():
    """The endpoints above must include every pod the environments render (a new workload
    without a call path would otherwise pass unnoticed)."""
    for environment in ENVIRONMENTS:
        names = {pod.name for pod in _pods(environment)}
        expected = {"frontend", "backend", "model-server", "mlflow"}
        if environment == "dev":
            expected |= {"database", "database-backup"}
        assert names == expected, environment
