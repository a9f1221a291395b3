"""`podman kube play` of the rendered backend and model Deployments: their container specs
(command, env from app-configmap, secret files, volumes, security context) really start the
images, and the probes' endpoints answer on loopback.

What is played is the dev environment's render with only what a single host without a
cluster needs changed, each for a reason podman 4.3 gives:
- the pods use the host network and the ConfigMap's hosts, ports, database URL and model
  server URL point at loopback (podman refuses port mappings on the host network, so the
  containers' `ports` are dropped and the probes' named port becomes its number);
- the Secret volumes are host folders holding the same files (podman 4.3 crashes on a
  `secret` volume: nil secrets manager in VolumeFromSecret);
- the init container runs as a pod of its own, to completion, before the Deployment
  (podman 4.3 fails removing a finished init container, "container state improper");
- the probes' HTTP requests are made from the host, as the kubelet makes them (podman
  turns httpGet probes into `curl` inside the container, run by systemd timers, neither of
  which exists here).
What this cannot show: Services and DNS, NetworkPolicies, IRSA, HPAs and PDBs, zone
spreading, the Ingress, and storage classes (PVCs become podman volumes).
"""

from __future__ import annotations

import copy
import json
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from manifests import render

from core.db.migrate import upgrade
from core.processes import free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

WORKLOADS = ("model-deployment", "backend-deployment")
BUILT = {"quantis/api": "localhost/quantis/api:latest",
         "quantis/model-server": "localhost/quantis/model-server:latest"}  # fmt: skip
SECRETS = {"QUANTIS_SECRET_KEY": "k" * 48, "QUANTIS_DATABASE_PASSWORD": "unused-on-trust-auth"}
PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


def _get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    """(status, body): a probe's body may be plain text (the model server's `/livez`)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def _wait_ok(url: str, timeout_s: float = 240) -> bytes:
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            status, body = _get(url)
            if status == 200:
                return body
            last = status
        except OSError as error:
            last = error
        time.sleep(1)
    raise AssertionError(f"{url} did not answer 200 within {timeout_s:.0f}s (last: {last})")


def _configmap(database_url: str, ports: dict[str, int]) -> dict:
    configmap = copy.deepcopy(render("dev").get("ConfigMap", "app-configmap"))
    configmap["data"] |= {
        "QUANTIS_DATABASE_URL": database_url,
        "QUANTIS_API_HOST": "127.0.0.1",
        "QUANTIS_API_PORT": str(ports["backend-deployment"]),
        "QUANTIS_MODEL_SERVER_HOST": "127.0.0.1",
        "QUANTIS_MODEL_SERVER_PORT": str(ports["model-deployment"]),
        "QUANTIS_MODEL_SERVER_URL": f"http://127.0.0.1:{ports['model-deployment']}",
    }
    return configmap


def _on_this_host(workload: dict, port: int, secrets_root: Path) -> tuple[dict, dict | None]:
    """(the Deployment, a Pod running its init containers) as podman 4.3 can play them."""
    deployment = copy.deepcopy(workload)
    spec = deployment["spec"]["template"]["spec"]
    spec["hostNetwork"] = True
    for volume in spec["volumes"]:
        if "secret" in volume:
            folder = secrets_root / f"{deployment['metadata']['name']}-{volume['name']}"
            folder.mkdir(parents=True)
            items = volume["secret"].get("items") or [{"key": k, "path": k} for k in SECRETS]
            for item in items:
                (folder / item["path"]).write_text(SECRETS[item["key"]])
            volume.pop("secret")
            volume["hostPath"] = {"path": str(folder), "type": "Directory"}
    for container in spec["containers"]:
        named = {p["name"]: p["containerPort"] for p in container.pop("ports", [])}
        assert set(named.values()) <= {8000, 8001}, named
        for probe in PROBES:
            http = container.get(probe, {}).get("httpGet")
            if http and http["port"] in named:
                http["port"] = port
    init = None
    if spec.get("initContainers"):
        init_containers = spec.pop("initContainers")
        init = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"{deployment['metadata']['name']}-init"},
            "spec": {
                **copy.deepcopy(spec),
                "containers": init_containers,
                "restartPolicy": "Never",
            },
        }
    return deployment, init


def _wait_exited(podman, name: str, timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = json.loads(podman.run("container", "inspect", name).stdout)[0]["State"]
        if state["Status"] == "exited":
            return state
        time.sleep(1)
    raise AssertionError(f"{name} still runs after {timeout_s:.0f}s")


@pytest.fixture
def played(podman, built_images, postgres_server, tmp_path):
    """The two Deployments playing on loopback; torn down with their volumes after."""
    database_url = postgres_server.create_database()
    upgrade(database_url)
    rendered = render("dev")
    ports = {name: free_port() for name in WORKLOADS}
    workloads = {name: rendered.get("Deployment", name) for name in WORKLOADS}
    for workload in workloads.values():
        for container in [
            *workload["spec"]["template"]["spec"].get("initContainers", []),
            *workload["spec"]["template"]["spec"]["containers"],
        ]:
            # The rendered reference (registry prefix, release tag) names the image built here.
            repository = "/".join(container["image"].rsplit(":", 1)[0].split("/")[-2:])
            podman.run("tag", BUILT[repository], container["image"])
    (tmp_path / "configmap.yaml").write_text(yaml.safe_dump(_configmap(database_url, ports)))
    files, volumes = [], set()
    try:
        for name, workload in workloads.items():
            deployment, init = _on_this_host(workload, ports[name], tmp_path / "secrets")
            volumes |= {
                v["persistentVolumeClaim"]["claimName"]
                for v in deployment["spec"]["template"]["spec"]["volumes"]
                if "persistentVolumeClaim" in v
            }
            for kind, document in (("init", init), ("deployment", deployment)):
                if document is None:
                    continue
                path = tmp_path / f"{name}-{kind}.yaml"
                path.write_text(yaml.safe_dump(document))
                files.append(path)
                podman.run("kube", "play", "--network", "host",
                           "--configmap", str(tmp_path / "configmap.yaml"), str(path))  # fmt: skip
                if kind == "init":
                    for container in document["spec"]["containers"]:
                        state = _wait_exited(podman, f"{name}-init-{container['name']}")
                        assert state["ExitCode"] == 0, podman.run(
                            "logs", f"{name}-init-{container['name']}", check=False
                        ).stdout
        yield {"workloads": workloads, "ports": ports, "database_url": database_url}
    finally:
        for path in reversed(files):
            podman.run("kube", "down", str(path), check=False)
        for volume in volumes:
            podman.run("volume", "rm", "-f", volume, check=False)
        postgres_server.drop_database(database_url)


def test_backend_and_model_deployments_start_from_their_specs_and_answer_their_probes(
    played, podman
):
    ports = played["ports"]
    api = f"http://127.0.0.1:{ports['backend-deployment']}"
    model = f"http://127.0.0.1:{ports['model-deployment']}"

    # Every probe of both containers answers on the port the spec names.
    for name, base in (("backend-deployment", api), ("model-deployment", model)):
        [container] = played["workloads"][name]["spec"]["template"]["spec"]["containers"]
        for probe in PROBES:
            _wait_ok(f"{base}{container[probe]['httpGet']['path']}")

    # The API found its database and the model server through the ConfigMap's settings.
    status, body = _get(f"{api}/ready")
    assert status == 200, body
    ready = json.loads(body)
    assert ready["database"]["ok"] and ready["model_server"]["ok"], ready
    info = urllib.request.urlopen(
        urllib.request.Request(f"{model}/model_info", b"{}", {"Content-Type": "application/json"}),
        timeout=10,
    )
    assert json.loads(info.read())["name"] == ready["model"]["name"]

    for name in WORKLOADS:
        template = played["workloads"][name]["spec"]["template"]["spec"]
        [container] = template["containers"]
        ctr = f"{name}-pod-0-{container['name']}"
        facts = json.loads(podman.run("container", "inspect", ctr).stdout)[0]
        # The command the spec gives (or the image's own, where it gives none).
        if "command" in container:
            entrypoint = facts["Config"]["Entrypoint"]
            entrypoint = entrypoint.split() if isinstance(entrypoint, str) else entrypoint
            assert entrypoint == container["command"], facts["Config"]
        # Non-root as the pod's security context says, no capabilities, read-only root,
        # writable scratch, and the secret files where the settings look for them.
        uid = podman.run("exec", ctr, "id", "-u").stdout.strip()
        assert uid == str(template["securityContext"]["runAsUser"])
        caps = podman.run("exec", ctr, "grep", "CapEff", "/proc/self/status").stdout
        assert caps.split()[-1] == "0000000000000000"
        assert facts["HostConfig"]["ReadonlyRootfs"] is True
        denied = podman.run("exec", ctr, "touch", "/probe-root", check=False)
        assert denied.returncode != 0 and "Read-only file system" in denied.stderr
        podman.run("exec", ctr, "touch", "/tmp/probe-scratch")
        listed = podman.run("exec", ctr, "ls", "/run/secrets/quantis").stdout.split()
        assert "QUANTIS_SECRET_KEY" in listed
