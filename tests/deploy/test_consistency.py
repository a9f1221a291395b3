"""One set of names across the deploy files: environment variables, ports and image names
agree between the Dockerfiles, docker-compose.yml, .env.example, the CI workflow, terraform,
the roll-out script and (once it is in the tree) the Kubernetes manifests.

Every variable those files set is a setting of core.settings (`QUANTIS_<FIELD>`) or a
third-party tool's documented variable, listed below with who reads it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from manifests import render

from core.settings import ENV_PREFIX, Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKER_DIR = REPO_ROOT / "deploy" / "docker"
KUBERNETES_DIR = REPO_ROOT / "deploy" / "kubernetes"
COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
WORKFLOW = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "ci.yml").read_text())

# The image names of the naming contract: local names and ECR repository suffixes.
IMAGE_NAMES = {
    "quantis/api",
    "quantis/frontend",
    "quantis/model-server",
    "quantis/dagster",
    "quantis/mlflow",
}

THIRD_PARTY = {
    # the official PostgreSQL image's entrypoint
    "POSTGRES_USER": "postgres image", "POSTGRES_PASSWORD": "postgres image",
    "POSTGRES_DB": "postgres image", "POSTGRES_HOST_AUTH_METHOD": "postgres image",
    # MinIO
    "MINIO_ROOT_USER": "minio", "MINIO_ROOT_PASSWORD": "minio",
    # AWS SDKs (boto3, the AWS CLI)
    "AWS_ACCESS_KEY_ID": "aws sdk", "AWS_SECRET_ACCESS_KEY": "aws sdk",
    "AWS_DEFAULT_REGION": "aws sdk", "AWS_REGION": "aws sdk", "AWS_EC2_METADATA_DISABLED": "aws sdk",
    # MLflow's server options and S3 client
    "MLFLOW_BACKEND_STORE_URI": "mlflow server", "MLFLOW_DEFAULT_ARTIFACT_ROOT": "mlflow server",
    "MLFLOW_SERVER_ALLOWED_HOSTS": "mlflow server", "MLFLOW_HOST": "mlflow server",
    "MLFLOW_PORT": "mlflow server", "MLFLOW_WORKERS": "mlflow server",
    "MLFLOW_S3_ENDPOINT_URL": "mlflow s3 artifacts", "MLFLOW_DISABLE_TELEMETRY": "mlflow",
    # Dagster: DAGSTER_HOME, `dagster api grpc`'s options, and the instance config we ship
    # (deploy/docker/dagster/dagster.yaml reads DAGSTER_POSTGRES_* with `env:`)
    "DAGSTER_HOME": "dagster", "DAGSTER_GRPC_HOST": "dagster api grpc",
    "DAGSTER_GRPC_PORT": "dagster api grpc", "DAGSTER_DISABLE_TELEMETRY": "dagster",
    "DAGSTER_POSTGRES_USER": "dagster.yaml", "DAGSTER_POSTGRES_PASSWORD": "dagster.yaml",
    "DAGSTER_POSTGRES_HOST": "dagster.yaml", "DAGSTER_POSTGRES_PORT": "dagster.yaml",
    "DAGSTER_POSTGRES_DB": "dagster.yaml",
    # BentoML, uv, Python, NVIDIA's container toolkit, nginx's official image docs
    "BENTOML_HOME": "bentoml", "BENTOML_DO_NOT_TRACK": "bentoml", "DO_NOT_TRACK": "several",
    "GX_ANALYTICS_ENABLED": "great expectations",
    "UV_PROJECT_ENVIRONMENT": "uv", "UV_LINK_MODE": "uv", "UV_COMPILE_BYTECODE": "uv",
    "UV_PYTHON_DOWNLOADS": "uv", "UV_PYTHON": "uv",
    "PATH": "os", "PYTHONUNBUFFERED": "python", "PYTHONDONTWRITEBYTECODE": "python",
    "NVIDIA_VISIBLE_DEVICES": "nvidia container toolkit",
    "NVIDIA_DRIVER_CAPABILITIES": "nvidia container toolkit",
    "NGINX_PORT": "nginx image docs (templates); our entrypoint's listen address",
    # Grafana's configuration by environment (GF_<SECTION>_<KEY>), and the .env secret that
    # docker-compose.yml hands to it
    "GF_SECURITY_ADMIN_USER": "grafana", "GF_SECURITY_ADMIN_PASSWORD": "grafana",
    "GF_ANALYTICS_REPORTING_ENABLED": "grafana", "GF_ANALYTICS_CHECK_FOR_UPDATES": "grafana",
    "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES": "grafana", "GF_USERS_ALLOW_SIGN_UP": "grafana",
    "GRAFANA_ADMIN_PASSWORD": "docker-compose.yml (.env): GF_SECURITY_ADMIN_PASSWORD",
}  # fmt: skip
# Variables of the CI workflow and the roll-out script that configure those, not a service.
WORKFLOW_ONLY = {
    "KUBERNETES_NAMESPACE", "DAGSTER_CHART_VERSION", "PUSH", "ENVIRONMENT_DIR", "CLUSTER",
    "REGISTRY", "SOURCE_REGISTRY", "RELEASE", "BENTOML_HOME", "QUANTIS_TEST_PG_URL",
}  # fmt: skip
SETTINGS_VARIABLES = {f"{ENV_PREFIX}{name}".upper() for name in Settings.model_fields}


def _dockerfile_env(path: Path) -> dict[str, str]:
    """Every ENV a Dockerfile sets (multi-line ENV instructions included)."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    variables = {}
    for line in re.findall(r"(?m)^ENV (.+)$", text):
        variables.update(dict(re.findall(r"([A-Z_][A-Z0-9_]*)=(\S+)", line)))
    return variables


def _compose_env() -> dict[str, dict[str, str]]:
    return {
        name: {str(k): str(v) for k, v in (service.get("environment") or {}).items()}
        for name, service in COMPOSE["services"].items()
    }


def _workflow_env() -> set[str]:
    names = set(WORKFLOW.get("env", {}))
    for job in WORKFLOW["jobs"].values():
        names |= set(job.get("env", {}))
        for step in job.get("steps", []):
            names |= set(step.get("env", {}))
        for service in job.get("services", {}).values():
            names |= set(service.get("env", {}))
    return names


def _unknown(names: set[str]) -> set[str]:
    return {n for n in names if n not in SETTINGS_VARIABLES and n not in THIRD_PARTY}


@pytest.mark.parametrize(
    "dockerfile", sorted(DOCKER_DIR.glob("*/Dockerfile")), ids=lambda p: p.parent.name
)
def test_dockerfile_variables_are_settings_or_documented(dockerfile: Path):
    assert _unknown(set(_dockerfile_env(dockerfile))) == set()


def test_compose_variables_are_settings_or_documented():
    names = {name for env in _compose_env().values() for name in env}
    assert _unknown(names) == set()


def test_env_example_names_settings_and_covers_every_interpolation():
    example = (REPO_ROOT / ".env.example").read_text()
    listed = set(re.findall(r"(?m)^([A-Z_][A-Z0-9_]*)=", example))
    assert _unknown(listed) == set()
    interpolated = set(
        re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", (REPO_ROOT / "docker-compose.yml").read_text())
    )
    assert interpolated - listed == set(), "interpolated in compose but missing from .env.example"
    assert listed - interpolated == set(), "listed in .env.example but compose never reads it"


def test_workflow_variables_are_settings_documented_or_its_own():
    assert _unknown(_workflow_env() - WORKFLOW_ONLY) == set()


def test_the_dagster_instance_reads_exactly_the_variables_compose_sets():
    instance = (DOCKER_DIR / "dagster" / "dagster.yaml").read_text()
    read = set(re.findall(r"env: (DAGSTER_POSTGRES_[A-Z]+)", instance))
    compose_sets = {n for n in _compose_env()["dagster-code"] if n.startswith("DAGSTER_POSTGRES_")}
    assert read == compose_sets


def test_the_dagster_instance_runs_one_pipeline_run_per_dataset():
    from core.run_tags import dataset_concurrency_limit

    instance = yaml.safe_load((DOCKER_DIR / "dagster" / "dagster.yaml").read_text())
    assert instance["concurrency"]["runs"]["tag_concurrency_limits"] == [
        dataset_concurrency_limit()
    ]


# --- ports ----------------------------------------------------------------------------------
# (Dockerfile, EXPOSE, the variable the process reads its port from, the settings default)
PORTS = [
    ("api", 8000, "QUANTIS_API_PORT", Settings.model_fields["api_port"].default),
    ("model-server", 8001, "QUANTIS_MODEL_SERVER_PORT", Settings.model_fields["model_server_port"].default),
    ("frontend", 80, "NGINX_PORT", 80),
    ("mlflow", 5000, "MLFLOW_PORT", 5000),
    ("dagster", 3030, "DAGSTER_GRPC_PORT", 3030),
]  # fmt: skip


@pytest.mark.parametrize(("image", "port", "variable", "default"), PORTS)
def test_exposed_port_is_the_port_the_process_listens_on(image, port, variable, default):
    dockerfile = DOCKER_DIR / image / "Dockerfile"
    exposed = {int(p) for p in re.findall(r"(?m)^EXPOSE (\d+)", dockerfile.read_text())}
    assert exposed == {port}
    assert _dockerfile_env(dockerfile)[variable] == str(port) == str(default)


def test_published_ports_target_the_exposed_ones():
    expected = {"api": 8000, "model-server": 8001, "frontend": 80, "mlflow": 5000}
    for name, port in expected.items():
        [published] = COMPOSE["services"][name]["ports"]
        assert published.endswith(f":{port}"), name
    webserver = COMPOSE["services"]["dagster-webserver"]
    assert webserver["ports"] == ["127.0.0.1:3001:3000"] and "3000" in webserver["command"]
    grpc = webserver["command"][webserver["command"].index("--grpc-port") + 1]
    assert grpc == "3030"


# --- image names ----------------------------------------------------------------------------
def test_compose_runs_our_images_by_their_contract_names():
    ours = {
        s["image"].split(":")[0]
        for s in COMPOSE["services"].values()
        if s["image"].startswith("quantis/")
    }
    assert ours == IMAGE_NAMES


def test_the_workflow_builds_and_pushes_every_image():
    for job in ("images", "push"):
        matrix = WORKFLOW["jobs"][job]["strategy"]["matrix"]["include"]
        assert {entry["image"] for entry in matrix} == IMAGE_NAMES, job
        assert sorted(e["suffix"] for e in matrix if e["image"] == "quantis/model-server") == [
            "",
            "-gpu",
        ]


def test_terraform_creates_a_repository_per_image():
    variables = (REPO_ROOT / "terraform" / "modules" / "storage" / "variables.tf").read_text()
    block = variables[variables.index('variable "ecr_repositories"') :]
    default = re.search(r"default\s*=\s*\[([^\]]*)\]", block).group(1)
    assert set(re.findall(r'"([^"]+)"', default)) == IMAGE_NAMES


def test_the_rollout_script_sets_every_image_and_the_settings_name_the_model_server():
    script = (REPO_ROOT / "scripts" / "deploy_release.sh").read_text()
    images = re.search(r"^IMAGES=\(([^)]*)\)", script, re.MULTILINE).group(1).split()
    assert set(images) == IMAGE_NAMES
    assert Settings.model_fields["model_server_image"].default == "quantis/model-server"


# --- Kubernetes (deploy/kubernetes, issue 13) ------------------------------------------------
def _rendered_environments() -> dict[str, list[dict]]:
    """Each environment as the pinned kubectl 1.35 renders it (tests/deploy/manifests.py)."""
    return {
        overlay.name: list(render(overlay.name).objects)
        for overlay in sorted((KUBERNETES_DIR / "environments").iterdir())
    }


def _containers(objects: list[dict]) -> list[dict]:
    found = []
    for item in objects:
        spec = item.get("spec", {})
        pod = (
            spec.get("template", {}).get("spec")
            or spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec")
            or {}
        )
        found += pod.get("containers", []) + pod.get("initContainers", [])
    return found


def test_kubernetes_manifests_agree_with_the_images_and_settings():
    """The Kubernetes side of the consistency check, over every environment's render."""
    for environment, objects in _rendered_environments().items():
        containers = _containers(objects)
        used = set()
        for container in containers:
            repository = container["image"].rsplit(":", 1)[0]
            name = next((n for n in IMAGE_NAMES if repository.endswith(n)), None)
            if name is None:
                continue  # a third-party container (PostgreSQL, the AWS CLI) has its own names
            used.add(name)
            names = {e["name"] for e in container.get("env", [])}
            assert _unknown(names) == set(), f"{environment}/{container['name']}"
        assert {"quantis/api", "quantis/frontend", "quantis/model-server"} <= used, environment
        # A third-party image both run (PostgreSQL) is the same release in both.
        compose_tags = dict(
            s["image"].rsplit(":", 1)
            for s in COMPOSE["services"].values()
            if not s["image"].startswith("quantis/")
        )
        for container in containers:
            repository, tag = container["image"].rsplit(":", 1)
            short = repository.removeprefix("docker.io/library/")
            for compose_repository, compose_tag in compose_tags.items():
                if compose_repository.removeprefix("docker.io/library/") == short:
                    assert tag == compose_tag, f"{environment}: {container['image']} vs compose"
        config_maps = [
            o
            for o in objects
            if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "app-configmap"
        ]
        for config_map in config_maps:
            assert _unknown(set(config_map.get("data", {}))) == set(), environment


# --- the request-body limit (issue 27) -------------------------------------------------------
# One value, the setting api_max_body_bytes: the API enforces it, the frontend's nginx
# (client_max_body_size from ${QUANTIS_API_MAX_BODY_BYTES}), the Ingress (proxy-body-size) and
# compose take it from the same variable.
BODY_LIMIT = "QUANTIS_API_MAX_BODY_BYTES"
BODY_LIMIT_DEFAULT = str(Settings.model_fields["api_max_body_bytes"].default)


def test_the_frontends_nginx_takes_the_body_limit_from_the_setting():
    template = (DOCKER_DIR / "frontend" / "nginx.conf").read_text()
    assert re.findall(r"(?m)^\s*client_max_body_size\s+(\S+);", template) == [f"${{{BODY_LIMIT}}}"]
    entrypoint = (DOCKER_DIR / "frontend" / "entrypoint.sh").read_text()
    assert f"${{{BODY_LIMIT}}}" in re.search(r"envsubst '([^']*)'", entrypoint).group(1)
    assert f': "${{{BODY_LIMIT}:={BODY_LIMIT_DEFAULT}}}"' in entrypoint
    assert _dockerfile_env(DOCKER_DIR / "frontend" / "Dockerfile")[BODY_LIMIT] == BODY_LIMIT_DEFAULT


def test_compose_gives_the_api_and_the_frontend_one_body_limit():
    wanted = f"${{{BODY_LIMIT}:-{BODY_LIMIT_DEFAULT}}}"
    environments = _compose_env()
    assert environments["api"][BODY_LIMIT] == environments["frontend"][BODY_LIMIT] == wanted
    example = (REPO_ROOT / ".env.example").read_text()
    assert f"\n{BODY_LIMIT}={BODY_LIMIT_DEFAULT}\n" in example


def test_kubernetes_gives_the_api_the_frontend_and_the_ingress_one_body_limit():
    for environment, objects in _rendered_environments().items():
        [config_map] = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "app-configmap"]
        limit = config_map["data"][BODY_LIMIT]
        assert limit == BODY_LIMIT_DEFAULT, environment
        [ingress] = [o for o in objects if o["kind"] == "Ingress"]
        assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == limit, environment
        by_name = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
        [frontend] = by_name["frontend-deployment"]["spec"]["template"]["spec"]["containers"]
        [reference] = [e["valueFrom"]["configMapKeyRef"] for e in frontend["env"] if e["name"] == BODY_LIMIT]
        assert reference == {"name": "app-configmap", "key": BODY_LIMIT}, environment
        [backend] = by_name["backend-deployment"]["spec"]["template"]["spec"]["containers"]
        assert {"configMapRef": {"name": "app-configmap"}} in backend["envFrom"], environment
