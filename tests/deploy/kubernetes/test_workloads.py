"""What every pod of every environment must be: non-root under the `restricted` Pod Security
profile, read-only root file system with emptyDir scratch, requests and limits, probes on
ports the process really listens on, spread across zones, and labelled."""

from __future__ import annotations

import shlex

import pytest
from manifests import ENVIRONMENTS, render

ENVIRONMENT_TARGETS = ["base", *ENVIRONMENTS]
LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/part-of")
SERVING = ("frontend-deployment", "backend-deployment", "model-deployment")


def _containers(target):
    for workload, container, is_init in render(target).containers():
        yield f"{workload['kind']}/{workload['metadata']['name']}/{container['name']}", (
            workload, container, is_init,
        )  # fmt: skip


@pytest.mark.parametrize("target", ENVIRONMENT_TARGETS)
def test_pods_meet_the_restricted_pod_security_profile(target):
    for workload, template in render(target).pod_templates():
        name = workload["metadata"]["name"]
        pod = template["spec"].get("securityContext", {})
        assert pod.get("runAsNonRoot") is True, name
        assert pod.get("runAsUser", 0) >= 10000, name  # a high uid: no host user collides
        assert pod.get("seccompProfile") == {"type": "RuntimeDefault"}, name
        assert not template["spec"].get("hostNetwork") and not template["spec"].get("hostPID")
        for sysctl in pod.get("sysctls", []):  # only the safe set Pod Security allows
            assert sysctl["name"] == "net.ipv4.ip_unprivileged_port_start", name
    for name, (_, container, _) in _containers(target):
        context = container.get("securityContext", {})
        assert context.get("allowPrivilegeEscalation") is False, name
        assert context.get("capabilities") == {"drop": ["ALL"]}, name
        assert context.get("readOnlyRootFilesystem") is True, name
        assert not context.get("privileged"), name


@pytest.mark.parametrize("target", ENVIRONMENT_TARGETS)
def test_scratch_space_is_an_emptydir_at_tmp(target):
    for workload, template in render(target).pod_templates():
        volumes = {v["name"]: v for v in template["spec"].get("volumes", [])}
        for container in (
            template["spec"].get("initContainers", []) + template["spec"]["containers"]
        ):
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{workload['metadata']['name']}/{container['name']}"
            assert "emptyDir" in volumes[mounts["/tmp"]]
            assert volumes[mounts["/tmp"]]["emptyDir"].get("sizeLimit"), "unbounded scratch"


@pytest.mark.parametrize("target", ENVIRONMENT_TARGETS)
def test_every_container_has_requests_and_limits(target):
    for name, (_, container, _) in _containers(target):
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources.get(kind, {})), f"{name}: {kind}"


@pytest.mark.parametrize("target", ENVIRONMENT_TARGETS)
def test_long_running_containers_have_probes_on_their_ports(target):
    for name, (workload, container, is_init) in _containers(target):
        if is_init or workload["kind"] == "CronJob":
            continue
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        for probe_kind in ("livenessProbe", "readinessProbe"):
            probe = container.get(probe_kind)
            assert probe, f"{name} has no {probe_kind}"
            if "httpGet" in probe:
                port = probe["httpGet"]["port"]
                assert port in ports or port in ports.values(), f"{name}: {probe_kind} {port}"


@pytest.mark.parametrize("target", ENVIRONMENT_TARGETS)
def test_workloads_are_labelled(target):
    for workload, template in render(target).pod_templates():
        for labels in (workload["metadata"]["labels"], template["metadata"]["labels"]):
            assert set(LABELS) <= set(labels), workload["metadata"]["name"]
        assert workload["metadata"]["labels"]["app.kubernetes.io/part-of"] == "quantis"


@pytest.mark.parametrize("target", ENVIRONMENT_TARGETS)
def test_serving_pods_spread_across_zones(target):
    for name in SERVING:
        template = render(target).get("Deployment", name)["spec"]["template"]
        spread = {c["topologyKey"]: c for c in template["spec"]["topologySpreadConstraints"]}
        zone = spread["topology.kubernetes.io/zone"]
        # Only this Deployment's pods count, and a lost zone never blocks scheduling.
        selector = zone["labelSelector"]["matchLabels"]
        assert selector.items() <= template["metadata"]["labels"].items()
        assert zone["whenUnsatisfiable"] == "ScheduleAnyway"


def _env(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def _container(target: str, kind: str, workload: str, container: str) -> dict:
    spec = render(target).get(kind, workload)["spec"]["template"]["spec"]
    return next(c for c in spec["containers"] if c["name"] == container)


@pytest.mark.parametrize("target", ENVIRONMENT_TARGETS)
def test_container_ports_are_the_ports_their_processes_listen_on(target):
    settings = render(target).configmap()
    api = _container(target, "Deployment", "backend-deployment", "api")
    # `quantis serve api` binds the settings' host and port (quantis/commands/serve.py).
    assert api["command"] == ["quantis", "serve", "api"]
    assert settings["QUANTIS_API_HOST"] == "0.0.0.0"
    assert [p["containerPort"] for p in api["ports"]] == [int(settings["QUANTIS_API_PORT"])]

    server = _container(target, "Deployment", "model-deployment", "model-server")
    # The image's command serves on the settings' model-server host and port; nothing in the
    # pod spec may point it elsewhere.
    assert "command" not in server and "args" not in server
    assert settings["QUANTIS_MODEL_SERVER_HOST"] == "0.0.0.0"
    assert not {"BENTOML_PORT", "BENTOML_HOST", "PORT"} & set(_env(server))
    assert [p["containerPort"] for p in server["ports"]] == [
        int(settings["QUANTIS_MODEL_SERVER_PORT"])
    ]

    mlflow = _container(target, "Deployment", "mlflow-deployment", "mlflow")
    words = shlex.split(mlflow["args"][0].splitlines()[-1])
    assert words[:3] == ["exec", "mlflow", "server"]
    assert words[words.index("--host") + 1] == "0.0.0.0"
    assert [p["containerPort"] for p in mlflow["ports"]] == [int(words[words.index("--port") + 1])]

    frontend = _container(target, "Deployment", "frontend-deployment", "frontend")
    assert [p["containerPort"] for p in frontend["ports"]] == [80]  # nginx in the image


def test_http_probe_paths_are_routes_the_servers_serve():
    from api.routes.health import router

    api_paths = {route.path for route in router.routes}
    api = _container("base", "Deployment", "backend-deployment", "api")
    probes = {
        api[k]["httpGet"]["path"] for k in ("livenessProbe", "readinessProbe", "startupProbe")
    }
    assert probes == {"/health", "/ready"} and probes <= api_paths

    # BentoML's system routes, as its HTTP app factory registers them for every service.
    from types import SimpleNamespace

    from bentoml._internal.server.base_app import BaseAppFactory

    endpoints = SimpleNamespace(livez=None, readyz=None, metrics=None)
    bentoml_paths = {route.path for route in BaseAppFactory.get_system_routes(endpoints)}
    server = _container("base", "Deployment", "model-deployment", "model-server")
    probes = {server[k]["httpGet"]["path"] for k in ("livenessProbe", "readinessProbe")}
    assert probes == {"/livez", "/readyz"} and probes <= bentoml_paths
