"""The rendered manifests agree with each other and with what they run and stand on:
Services select their Deployments, references resolve, app-configmap is exactly the
settings of core.settings and loads into them, config/<env>.yaml says the same, image names
follow the naming contract (also in compose and the CI workflow once they exist), the deploy
target's names are the manifests', and the IRSA roles, buckets, VPC and node pools are
terraform's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from manifests import ENVIRONMENTS, KUBERNETES_DIR, REPO_ROOT, render
from pydantic import SecretStr
from tfconfig import environment as terraform_environment
from tfconfig import module, module_input

from core.run_tags import DATASET_TAG
from core.settings import ENV_PREFIX, Settings, load_settings
from orchestration.defs.serving import targets

ENVIRONMENT_TARGETS = ["base", *ENVIRONMENTS]
# The image names of the naming contract of issues 12 and 13 (local names = ECR suffixes).
IMAGES = {"quantis/api", "quantis/frontend", "quantis/model-server", "quantis/dagster",
          "quantis/mlflow"}  # fmt: skip
# Settings that app-configmap leaves out on purpose (every other non-secret one is in it).
NOT_IN_CONFIGMAP = {
    "s3_endpoint_url": "unset means AWS's own endpoints",
    "model_artifacts_dir": "set on model-deployment by the roll-out, with the version",
    "served_model_version": "set on model-deployment by the roll-out",
    "served_dataset_versions": "set on model-deployment by each dataset's roll-out",
    "value_min": "unset means no lower bound on observed values",
    "value_max": "unset means no upper bound on observed values",
}
SECRETS_TEMPLATE = KUBERNETES_DIR / "base" / "app-secrets.template.yaml"
STRONG = "a-long-random-value-for-the-consistency-test-0123456789"


def _secret_fields() -> set[str]:
    return {n for n, f in Settings.model_fields.items() if SecretStr in _types(f.annotation)}


def _types(annotation) -> tuple:
    return getattr(annotation, "__args__", (annotation,))


def _workload_labels(target: str) -> dict[str, dict[str, str]]:
    return {
        w["metadata"]["name"]: t["metadata"]["labels"] for w, t in render(target).pod_templates()
    }


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return selector.items() <= labels.items()


# --- objects refer to objects that exist -------------------------------------------------


@pytest.mark.parametrize("target", ENVIRONMENT_TARGETS)
def test_services_select_exactly_one_workload_and_its_named_ports(target):
    rendered = render(target)
    templates = {w["metadata"]["name"]: t for w, t in rendered.pod_templates()}
    for service in rendered.of_kind("Service"):
        if service["spec"].get("type") == "ExternalName":
            continue
        selector = service["spec"]["selector"]
        chosen = [n for n, t in templates.items() if _selects(selector, t["metadata"]["labels"])]
        assert len(chosen) == 1, f"{service['metadata']['name']} selects {chosen}"
        ports = {
            p["name"]: p["containerPort"]
            for c in templates[chosen[0]]["spec"]["containers"]
            for p in c.get("ports", [])
        }
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, f"{service['metadata']['name']}: {port}"
            assert port["port"] == ports[port["targetPort"]]


@pytest.mark.parametrize("target", ENVIRONMENT_TARGETS)
def test_autoscalers_and_budgets_point_at_real_workloads(target):
    rendered = render(target)
    labels = _workload_labels(target)
    for hpa in rendered.of_kind("HorizontalPodAutoscaler"):
        reference = hpa["spec"]["scaleTargetRef"]
        deployment = rendered.get(reference["kind"], reference["name"])
        assert "replicas" not in deployment["spec"], "the HPA, not apply, owns the count"
    for budget in rendered.of_kind("PodDisruptionBudget"):
        selector = budget["spec"]["selector"]["matchLabels"]
        assert len([n for n, lb in labels.items() if _selects(selector, lb)]) == 1


def _secret_keys() -> dict[str, set[str]]:
    return {
        doc["metadata"]["name"]: set(doc["stringData"])
        for doc in yaml.safe_load_all(SECRETS_TEMPLATE.read_text())
    }


@pytest.mark.parametrize("target", ENVIRONMENT_TARGETS)
def test_every_reference_resolves(target):
    rendered = render(target)
    configmaps = {c["metadata"]["name"]: c["data"] for c in rendered.of_kind("ConfigMap")}
    secrets = _secret_keys()  # created outside the manifests, from the template's keys
    claims = rendered.names("PersistentVolumeClaim")
    accounts = rendered.names("ServiceAccount")
    for workload, template in rendered.pod_templates():
        spec = template["spec"]
        assert spec.get("serviceAccountName", "default") in accounts | {"default"}
        own_claims = {
            f"{t['metadata']['name']}-{workload['metadata']['name']}-0"
            for t in workload["spec"].get("volumeClaimTemplates", [])
        }
        for volume in spec.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims | own_claims | {
                    "wal-archive-database-statefulset-0"
                }
            if "configMap" in volume:
                data = configmaps[volume["configMap"]["name"]]
                assert {i["key"] for i in volume["configMap"].get("items", [])} <= set(data)
            if "secret" in volume:
                keys = secrets[volume["secret"]["secretName"]]
                assert {i["key"] for i in volume["secret"].get("items", [])} <= keys
        for container in spec.get("initContainers", []) + spec["containers"]:
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in configmaps
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {})
                if "configMapKeyRef" in ref:
                    assert (
                        ref["configMapKeyRef"]["key"] in configmaps[ref["configMapKeyRef"]["name"]]
                    )
                if "secretKeyRef" in ref:
                    assert ref["secretKeyRef"]["key"] in secrets[ref["secretKeyRef"]["name"]]
    for rule in rendered.get("Ingress", "quantis-ingress")["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            service = rendered.get("Service", backend["name"])
            assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


def test_the_secrets_template_holds_only_empty_values():
    for document in yaml.safe_load_all(SECRETS_TEMPLATE.read_text()):
        assert set(document["stringData"].values()) == {""}
    base = yaml.safe_load((KUBERNETES_DIR / "base" / "kustomization.yaml").read_text())
    assert SECRETS_TEMPLATE.name not in base["resources"]
    secret_settings = {f"{ENV_PREFIX}{n.upper()}" for n in _secret_fields()}
    assert _secret_keys()["app-secrets"] == secret_settings


# --- app-configmap is the settings --------------------------------------------------------


@pytest.mark.parametrize("target", ENVIRONMENT_TARGETS)
def test_configmap_holds_every_non_secret_setting_and_nothing_else(target):
    names = set(render(target).configmap())
    fields = set(Settings.model_fields) - _secret_fields() - set(NOT_IN_CONFIGMAP)
    expected = {f"{ENV_PREFIX}{name.upper()}" for name in fields}
    assert sorted(names - expected) == [], "not a setting of core.settings"
    assert sorted(expected - names) == [], "settings missing from app-configmap"


def _cluster_settings(environment: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings a pod of `environment` builds: app-configmap plus the mounted secrets."""
    for name, value in render(environment).configmap().items():
        monkeypatch.setenv(name, value)
    return load_settings(secret_key=STRONG, database_password=STRONG)


def _service_address(environment: str, url: str) -> tuple[str, int]:
    parts = urlsplit(url.replace("postgresql+psycopg", "postgresql"))
    service = render(environment).get("Service", parts.hostname)
    assert parts.port in {p["port"] for p in service["spec"]["ports"]}, url
    return parts.hostname, parts.port


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_pods_build_valid_settings_that_name_the_services(environment, monkeypatch):
    settings = _cluster_settings(environment, monkeypatch)
    rendered = render(environment)
    assert settings.env == ("dev" if environment == "dev" else environment)
    assert _service_address(environment, settings.model_server_url) == ("model-service", 8001)
    assert _service_address(environment, settings.database_url)[0] == "database-service"
    assert _service_address(environment, settings.mlflow_tracking_uri)[0] == "mlflow-service"
    assert urlsplit(settings.dagster_url).hostname == "dagster-webserver"  # the Helm release's
    assert (
        settings.kubernetes_namespace
        == "quantis"
        == rendered.get("Namespace", "quantis")["metadata"]["name"]
    )
    assert (settings.deploy_target, settings.executor) == ("kubernetes", "k8s")
    for url in (settings.object_store_url, settings.landing_url, settings.mlflow_artifact_root):
        assert url.startswith(f"s3://{_terraform_outputs(environment)['ARTIFACTS_BUCKET']}/")


QUANTIS_CONTAINERS = [
    ("backend-deployment", "api"),
    ("model-deployment", "model-server"),
    ("model-deployment", "fetch-model"),
]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize(("workload", "name"), QUANTIS_CONTAINERS)
def test_each_quantis_container_builds_its_settings_from_what_it_mounts(
    environment, workload, name, tmp_path, monkeypatch
):
    """Exactly the environment and secret files that container gets, nothing lent by the
    test: a missing Secret key would stop the process at start in staging and prod."""
    rendered = render(environment)
    spec = rendered.get("Deployment", workload)["spec"]["template"]["spec"]
    everything = spec.get("initContainers", []) + spec["containers"]
    container = next(c for c in everything if c["name"] == name)
    for source in container.get("envFrom", []):
        for key, value in rendered.configmap(source["configMapRef"]["name"]).items():
            monkeypatch.setenv(key, value)
    for variable in container.get("env", []):
        monkeypatch.setenv(variable["name"], variable["value"])
    volumes = {v["name"]: v for v in spec["volumes"]}
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    for mount in container["volumeMounts"]:
        secret = volumes[mount["name"]].get("secret")
        if secret and mount["mountPath"] == "/run/secrets/quantis":  # core's default folder
            keys = [i["key"] for i in secret.get("items", [])] or sorted(
                _secret_keys()[secret["secretName"]]
            )
            for key in keys:
                (secrets_dir / key).write_text(STRONG)
    monkeypatch.setenv("QUANTIS_SECRETS_DIR", str(secrets_dir))
    settings = load_settings()
    assert settings.env == environment


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_config_file_of_the_environment_says_what_the_cluster_runs(environment, monkeypatch):
    """config/<env>.yaml (baked into the images) and app-configmap never disagree."""
    monkeypatch.delenv("QUANTIS_HOME", raising=False)
    from_file = load_settings(env=environment, secret_key=STRONG, database_password=STRONG)
    in_cluster = _cluster_settings(environment, monkeypatch)
    keys = yaml.safe_load((REPO_ROOT / "config" / f"{environment}.yaml").read_text())
    for key in keys:
        assert getattr(from_file, key) == getattr(in_cluster, key), key


# --- images --------------------------------------------------------------------------------


def _repository(image: str) -> str:
    """quantis/api from <registry>/quantis/api:<tag> or quantis/model-server:<tag>-gpu."""
    without_tag = image.rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image
    return "/".join(without_tag.split("/")[-2:])


@pytest.mark.parametrize("target", ENVIRONMENT_TARGETS)
def test_images_follow_the_naming_contract(target):
    rendered = render(target)
    ours = {
        _repository(c["image"]) for _, c, _ in rendered.containers() if "quantis/" in c["image"]
    }
    assert ours == {"quantis/api", "quantis/frontend", "quantis/model-server", "quantis/mlflow"}
    server = targets.MODEL_SERVER_CONTAINER
    configured = rendered.configmap()
    deployment = rendered.get("Deployment", targets.MODEL_DEPLOYMENT)["spec"]["template"]["spec"]
    images = {
        c["name"]: c["image"] for c in deployment["containers"] + deployment["initContainers"]
    }
    release = (
        f"{configured['QUANTIS_MODEL_SERVER_IMAGE']}:{configured['QUANTIS_MODEL_SERVER_IMAGE_TAG']}"
    )
    # What the roll-out will set is what the manifests run: no surprise image change.
    assert images[server] == images[targets.FETCH_MODEL_CONTAINER] == release
    assert Settings.model_fields["model_server_image"].default == "quantis/model-server"


def test_every_environment_sets_a_tag_for_each_image_of_the_base():
    base = {
        _repository(c["image"])
        for _, c, _ in render("base").containers()
        if "quantis/" in c["image"]
    }
    for environment in ENVIRONMENTS:
        kustomization = yaml.safe_load(
            (KUBERNETES_DIR / "environments" / environment / "kustomization.yaml").read_text()
        )
        assert {i["name"] for i in kustomization["images"]} == base, environment


# Run tag keys share the `quantis/` prefix (core/run_tags.py) and are no image names.
RUN_TAG_KEYS = {DATASET_TAG}


def _quantis_images(text: str) -> set[str]:
    """Image repositories named in a file: `quantis/<name>` where it starts a word, so the
    bucket prefixes (`s3://quantis/objects`) and paths (`/var/lib/quantis/models`) are not,
    nor the run tag keys (the Helm values' run concurrency limits name one)."""
    return set(re.findall(r"(?<![\w/.:-])quantis/[a-z][a-z0-9-]*", text)) - RUN_TAG_KEYS


# The containers issue writes compose and the CI workflow; each is checked once it exists.
IMAGE_USERS = ("docker-compose.yml", ".github/workflows/ci.yml", "deploy/helm/dagster-values.yaml")


def test_compose_ci_and_helm_values_use_the_contract_image_names():
    checked = [REPO_ROOT / path for path in IMAGE_USERS if (REPO_ROOT / path).exists()]
    assert REPO_ROOT / "deploy/helm/dagster-values.yaml" in checked
    for file in checked:
        found = _quantis_images(file.read_text())
        assert found, f"{file.name} names no quantis/ image"
        assert found <= IMAGES, f"{file.name}: {sorted(found - IMAGES)} are not contract names"


# --- the deploy target and its permissions ------------------------------------------------


def test_deploy_target_names_are_the_manifests():
    deployment = render("base").get("Deployment", targets.MODEL_DEPLOYMENT)
    spec = deployment["spec"]["template"]["spec"]
    [server] = [c for c in spec["containers"] if c["name"] == targets.MODEL_SERVER_CONTAINER]
    [fetch] = [c for c in spec["initContainers"] if c["name"] == targets.FETCH_MODEL_CONTAINER]
    volume = next(v for v in spec["volumes"] if v["name"] == targets.MODEL_ARTIFACTS_VOLUME)
    assert volume["persistentVolumeClaim"]["claimName"] == "model-artifacts"
    mounts = {c["name"]: {m["name"]: m for m in c["volumeMounts"]} for c in (server, fetch)}
    server_mount = mounts[server["name"]][targets.MODEL_ARTIFACTS_VOLUME]
    fetch_mount = mounts[fetch["name"]][targets.MODEL_ARTIFACTS_VOLUME]
    assert server_mount["mountPath"] == fetch_mount["mountPath"]
    assert server_mount.get("readOnly") and not fetch_mount.get("readOnly")
    # Until the first roll-out the server serves its baked-in model.
    rollout_variables = {
        "QUANTIS_MODEL_ARTIFACTS_DIR",
        "QUANTIS_SERVED_MODEL_VERSION",
        "QUANTIS_SERVED_DATASET_VERSIONS",
    }
    assert not rollout_variables & {e["name"] for c in (server, fetch) for e in c.get("env", [])}
    assert fetch["command"] == ["python", "-m", "bentos.fetch_model", "--all-datasets"]


def test_the_rollout_role_grants_what_the_target_calls_and_no_more():
    rendered = render("base")
    rules = {
        (rule["resources"][0], tuple(rule.get("resourceNames", [])), tuple(rule["verbs"]))
        for rule in rendered.get("Role", "model-rollout")["rules"]
    }
    name = (targets.MODEL_DEPLOYMENT,)
    assert rules == {
        ("deployments", name, ("get", "patch")),
        ("deployments/status", name, ("get",)),
        ("replicasets", (), ("list",)),
    }
    binding = rendered.get("RoleBinding", "model-rollout")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "quantis-dagster", "namespace": "quantis"}
    ]
    # Only the Dagster account may talk to the Kubernetes API at all.
    mounting = {
        a["metadata"]["name"]
        for a in rendered.of_kind("ServiceAccount")
        if a.get("automountServiceAccountToken", True)
    }
    assert mounting == {"quantis-dagster"}


# --- terraform ------------------------------------------------------------------------------


def _terraform_outputs(environment: str) -> dict[str, str]:
    path = KUBERNETES_DIR / "environments" / environment / "terraform-outputs.env"
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def _terraform_name(environment: str) -> str:
    return terraform_environment(environment).locals()["name"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_service_accounts_carry_terraforms_irsa_roles(environment):
    grants = module("security").locals()["service_account_grants"]
    accounts = {a["metadata"]["name"]: a for a in render(environment).of_kind("ServiceAccount")}
    assert set(accounts) == set(grants)
    namespace = module("security").variables()["kubernetes_namespace"]["default"]
    assert namespace == "quantis"
    account_ids = set()
    for name, account in accounts.items():
        arn = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        match = re.fullmatch(r"arn:aws:iam::(\d{12}):role/(.+)", arn)
        assert match, arn
        # modules/security names each role "${var.name}-${trimprefix(account, "quantis-")}".
        assert match[2] == f"{_terraform_name(environment)}-{name.removeprefix('quantis-')}"
        account_ids.add(match[1])
    assert len(account_ids) == 1


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_terraform_outputs_file_matches_terraforms_names(environment):
    outputs = _terraform_outputs(environment)
    name = _terraform_name(environment)
    [account] = {
        re.search(r"::(\d{12}):", v)[1] for k, v in outputs.items() if k.startswith("ROLE_ARN_")
    }
    # modules/storage: bucket "${var.name}-${key}-${account_id}".
    assert outputs["ARTIFACTS_BUCKET"] == f"{name}-artifacts-{account}"
    assert outputs["BACKUPS_BUCKET"] == f"{name}-backups-{account}"
    assert outputs["VPC_CIDR"] == module_input(environment, "network", "vpc_cidr")
    policy = render(environment).get("NetworkPolicy", "dagster-to-kubernetes-api")
    assert policy["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"] == outputs["VPC_CIDR"]
    if environment != "dev":
        external = render(environment).get("Service", "database-service")
        assert external["spec"]["externalName"] == outputs["DATABASE_HOST"]
    else:
        wal = render(environment).configmap("database-wal")["WAL_ARCHIVE_S3_URL"]
        assert wal == f"s3://{outputs['BACKUPS_BUCKET']}/postgres"


def test_training_runs_on_terraforms_gpu_pool():
    compute = module("compute").locals()
    configured = json.loads(render("base").configmap()["QUANTIS_TRAIN_NODE_SELECTOR"])
    assert (
        configured
        == compute["gpu_pool_label"]
        == Settings.model_fields["train_node_selector"].default_factory()
    )
    taint_key = compute["gpu_taint"]["key"]
    assert render("base").configmap()["QUANTIS_TRAIN_GPU_TOLERATION_KEY"] == taint_key
    assert Settings.model_fields["train_gpu_toleration_key"].default == taint_key


def test_kubernetes_dir_paths_used_in_docs_exist():
    """deploy/kubernetes/README.md names files; each must exist."""
    readme = (KUBERNETES_DIR / "README.md").read_text()
    for path in re.findall(r"`((?:base|environments|components)/[\w./-]+)`", readme):
        assert (KUBERNETES_DIR / path).exists(), path
    assert Path(REPO_ROOT / "deploy" / "README.md").read_text().count("kubernetes/README.md")
