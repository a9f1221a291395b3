"""Every Quantis image, built for real with podman over the stand-in bases: what each image
promises (non-root user, port, healthcheck, OCI labels, no build tools) and what the model
server's two variants do when started."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest
from images import IMAGES
from podman import Podman

from core.processes import free_port, stop_process_group, wait_until_healthy

pytestmark = [pytest.mark.podman, pytest.mark.slow]

EXPOSED = {
    "quantis/api": "8000/tcp",
    "quantis/dagster": "3030/tcp",
    "quantis/mlflow": "5000/tcp",
    "quantis/frontend": "80/tcp",
    "quantis/model-server": "8001/tcp",
}
OCI_LABELS = ("title", "description", "source", "licenses", "version", "revision")
MODEL_SERVER = "localhost/quantis/model-server:latest"
MODEL_SERVER_GPU = "localhost/quantis/model-server:latest-gpu"


def _config(podman: Podman, reference: str) -> dict:
    return podman.inspect_image(reference)["Config"]


@pytest.mark.parametrize("spec", IMAGES, ids=lambda s: s.reference)
def test_image_runs_unprivileged_with_its_port_healthcheck_and_labels(built_images, podman, spec):
    config = _config(podman, spec.reference)
    user = config["User"].split(":")[0]
    assert user.isdigit() and int(user) != 0, config["User"]
    assert set(config["ExposedPorts"]) == {EXPOSED[spec.name]}
    assert podman.inspect_image(spec.reference)["Healthcheck"]["Test"]
    labels = config["Labels"]
    for label in OCI_LABELS:
        assert f"org.opencontainers.image.{label}" in labels, label
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"


@pytest.mark.parametrize(
    "reference", sorted({s.reference for s in IMAGES if s.name != "quantis/frontend"})
)
def test_runtime_images_carry_no_compiler_and_no_uv(built_images, podman, reference):
    found = podman.run(
        "run", "--rm", "--entrypoint", "sh", reference, "-c",
        "for tool in gcc cc g++ make uv; do command -v $tool; done; true",
    ).stdout.split()  # fmt: skip
    assert found == []


def test_api_and_dagster_share_every_layer_of_the_api(built_images, podman):
    api = podman.inspect_image("localhost/quantis/api:latest")["RootFS"]["Layers"]
    dagster = podman.inspect_image("localhost/quantis/dagster:latest")["RootFS"]["Layers"]
    assert dagster[: len(api)] == api  # the dependency layer is stored and pulled once


def test_the_model_server_serves_its_baked_in_model(built_images, podman):
    port = free_port()
    name = f"quantis-test-ms-{port}"
    podman.run(
        "run", "--detach", "--rm", "--name", name, "--network", "host",
        "--env", "QUANTIS_MODEL_SERVER_HOST=127.0.0.1", "--env", f"QUANTIS_MODEL_SERVER_PORT={port}",
        MODEL_SERVER,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_until_healthy(f"{url}/readyz", timeout_s=180), podman.run("logs", name).stderr
        info = httpx.post(f"{url}/model_info", json={}, timeout=30).json()
        assert (info["name"], info["version"]) == ("quantis-forecaster", "7")
        assert podman.run("healthcheck", "run", name, check=False).returncode == 0
    finally:
        podman.run("stop", "--time", "5", name, check=False)


def test_the_model_server_refuses_to_start_without_the_version_it_was_told(built_images, podman):
    result = podman.run(
        "run", "--rm", "--env", "QUANTIS_SERVED_MODEL_VERSION=12", MODEL_SERVER, check=False,
        timeout_s=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "has no version 12 of quantis-forecaster" in result.stderr
    assert "python -m bentos.fetch_model" in result.stderr


def test_the_fetch_command_is_in_the_image_for_the_init_container(built_images, podman):
    result = podman.run("run", "--rm", MODEL_SERVER, "python", "-m", "bentos.fetch_model")
    assert "served_model_version is not set" in result.stdout


def _resources(podman: Podman, reference: str) -> dict:
    # What BentoML's allocator reads once the image's command (`bentos.serve`) set its
    # environment: the service's configuration after BentoML's overrides.
    probe = (
        "import json, os; from bentos.serve import serve_environment; "
        "from core.settings import get_settings; "
        "os.environ.update(serve_environment(dict(os.environ), gpu=get_settings().model_server_gpu)); "
        "import bentos.service as s; s.ModelServer.inject_config(); "
        "from bentoml._internal.configuration.containers import BentoMLContainer as C; "
        "print(json.dumps(C.config.services[s.ModelServer.name].get()['resources']))"
    )
    out = podman.run("run", "--rm", reference, "python", "-c", probe).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_only_the_gpu_variant_declares_a_gpu_and_has_the_opencl_loader(built_images, podman):
    assert "gpu" not in _resources(podman, MODEL_SERVER)
    assert _resources(podman, MODEL_SERVER_GPU)["gpu"] == 1
    loader = "import ctypes; ctypes.CDLL('libOpenCL.so.1'); print(open('/etc/OpenCL/vendors/nvidia.icd').read())"
    gpu = podman.run("run", "--rm", MODEL_SERVER_GPU, "python", "-c", loader)
    assert gpu.stdout.strip() == "libnvidia-opencl.so.1"
    env = dict(e.split("=", 1) for e in _config(podman, MODEL_SERVER_GPU)["Env"])
    assert env["NVIDIA_DRIVER_CAPABILITIES"] == "compute,utility"
    cpu = podman.run("run", "--rm", MODEL_SERVER, "python", "-c", loader, check=False)
    assert cpu.returncode != 0  # the CPU image carries no OpenCL


def test_the_frontend_image_serves_the_page_and_proxies_to_its_upstream(built_images, podman):
    port, upstream = free_port(), free_port()
    name = f"quantis-test-fe-{port}"
    # Something answering as the API: a plain HTTP server on loopback.
    api = subprocess.Popen(
        ["python3", "-m", "http.server", str(upstream), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        podman.run(
            "run", "--detach", "--rm", "--name", name, "--network", "host",
            "--env", f"QUANTIS_API_URL=http://127.0.0.1:{upstream}",
            "--env", f"NGINX_PORT=127.0.0.1:{port}",
            "localhost/quantis/frontend:latest",
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        assert wait_until_healthy(f"{url}/nginx-health", timeout_s=60), podman.run(
            "logs", name
        ).stderr
        page = httpx.get(url)
        assert page.status_code == 200 and 'id="root"' in page.text
        assert page.headers["cache-control"] == "no-cache"
        assert httpx.get(f"{url}/api/").status_code == 200  # http.server's listing, proxied
        assert podman.run("healthcheck", "run", name, check=False).returncode == 0
    finally:
        podman.run("stop", "--time", "5", name, check=False)
        stop_process_group(api.pid)  # SIGKILL if it outlives SIGTERM (an inherited SIG_IGN)
