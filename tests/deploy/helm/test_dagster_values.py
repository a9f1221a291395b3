"""deploy/helm/dagster-values.yaml: only keys the official chart documents, with values that
fit our code location, manifests, settings and terraform's node pools."""

from __future__ import annotations

import copy
import re
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from dagster_chart_keys import DAGSTER_CHART_SCHEMA
from dagster_k8s.models import k8s_snake_case_dict
from kubernetes import client
from manifests import KUBERNETES_DIR, REPO_ROOT, render
from tfconfig import module

from api.config import ApiOptions
from core.run_tags import dataset_concurrency_limit
from core.settings import Settings

VALUES_FILE = REPO_ROOT / "deploy" / "helm" / "dagster-values.yaml"
RELEASE = "dagster"  # `helm upgrade --install dagster ...` (the file's header, the README)


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES_FILE.read_text())


def test_only_documented_chart_keys(values):
    jsonschema.validate(values, DAGSTER_CHART_SCHEMA)


@pytest.mark.parametrize(
    "mistake",
    [
        lambda v: v["dagsterWebserver"].update(servicePort=3000),
        lambda v: v.update(userDeployments=v.pop("dagster-user-deployments")),
        lambda v: v["runLauncher"].update(type="K8sLauncher"),
        lambda v: v["postgresql"].update(host="database-service"),
    ],
    ids=["unknown-key", "old-name", "bad-launcher", "misspelt-host"],
)
def test_the_key_check_catches_mistakes(values, mistake):
    broken = copy.deepcopy(values)
    mistake(broken)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, DAGSTER_CHART_SCHEMA)


def test_every_override_is_commented():
    lines = VALUES_FILE.read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Za-z-]+:", line):
            assert lines[index - 1].startswith("#"), f"{line!r} has no comment above it"


def test_user_code_is_our_code_location(values):
    [deployment] = values["dagster-user-deployments"]["deployments"]
    workspace = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())
    [location] = [entry["python_module"] for entry in workspace["load_from"]]
    assert deployment["name"] == location["location_name"] == ApiOptions().dagster_location
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", location["module_name"]]
    assert deployment["port"] == 3030
    for part in ("dagsterWebserver", "dagsterDaemon"):
        assert values[part]["image"]["repository"] == "quantis/dagster"
    assert deployment["image"]["repository"] == "quantis/dagster"


def test_webserver_is_where_the_api_looks_for_it(values):
    url = urlsplit(render("base").configmap()["QUANTIS_DAGSTER_URL"])
    # The chart names the webserver Service "<release>-webserver".
    assert url.hostname == f"{RELEASE}-webserver"
    assert url.port == values["dagsterWebserver"]["service"]["port"] == 3000


def test_settings_secrets_and_account_come_from_the_manifests(values):
    base = render("base")
    secrets = {
        doc["metadata"]["name"]: set(doc["stringData"])
        for doc in yaml.safe_load_all(
            (KUBERNETES_DIR / "base/app-secrets.template.yaml").read_text()
        )
    }
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    [deployment] = values["dagster-user-deployments"]["deployments"]
    for part in (values["dagsterWebserver"], values["dagsterDaemon"], deployment, launcher):
        assert [m["name"] for m in part["envConfigMaps"]] == ["app-configmap"]
        assert [s["name"] for s in part["envSecrets"]] == ["app-secrets"]
    assert base.configmap()  # app-configmap exists in the manifests
    assert values["serviceAccount"]["create"] is False
    assert values["global"]["serviceAccountName"] in base.names("ServiceAccount")
    assert values["generatePostgresqlPasswordSecret"] is False
    assert secrets[values["global"]["postgresqlSecretName"]] == {"postgresql-password"}


def test_storage_is_the_quantis_database_server(values):
    database = urlsplit(render("base").configmap()["QUANTIS_DATABASE_URL"])
    postgresql = values["postgresql"]
    assert postgresql["enabled"] is False
    assert postgresql["postgresqlHost"] == database.hostname
    assert postgresql["service"]["port"] == database.port
    assert postgresql["postgresqlUsername"] == database.username
    init = render("base").configmap("database-init")["10-databases.sql"]
    assert f"CREATE DATABASE {postgresql['postgresqlDatabase']} OWNER {database.username}" in init


def test_steps_run_in_pods_and_general_pods_on_the_general_pool(values):
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert {"name": "QUANTIS_EXECUTOR", "value": "k8s"} in deployment["env"]
    assert render("base").configmap()["QUANTIS_EXECUTOR"] == "k8s"
    assert "k8s" in Settings.model_fields["executor"].annotation.__args__
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    general = module("compute").locals()["general_pool_label"]
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    for selector in (
        values["dagsterWebserver"]["nodeSelector"], values["dagsterDaemon"]["nodeSelector"],
        deployment["nodeSelector"], launcher["runK8sConfig"]["podSpecConfig"]["nodeSelector"],
    ):  # fmt: skip
        assert selector == general
    # The training step's own pool is the GPU one (placement.py from the settings).
    assert general != module("compute").locals()["gpu_pool_label"]


def test_kubernetes_objects_inside_the_values_are_valid(values):
    """dagster-k8s turns these into Kubernetes models and refuses unknown keys."""
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    run = launcher["runK8sConfig"]
    k8s_snake_case_dict(client.V1PodSpec, {"containers": [], **run["podSpecConfig"]})
    k8s_snake_case_dict(client.V1Container, {"name": "run", **run["containerConfig"]})
    k8s_snake_case_dict(client.V1SecurityContext, launcher["securityContext"])
    [deployment] = values["dagster-user-deployments"]["deployments"]
    for part in (values["dagsterWebserver"], values["dagsterDaemon"], deployment):
        k8s_snake_case_dict(client.V1PodSecurityContext, part["podSecurityContext"])
        k8s_snake_case_dict(client.V1SecurityContext, part["securityContext"])
        k8s_snake_case_dict(client.V1ResourceRequirements, part["resources"])
    with pytest.raises(Exception, match="nodeSelektor"):
        k8s_snake_case_dict(client.V1PodSpec, {"containers": [], "nodeSelektor": {}})


def test_the_run_queue_runs_one_pipeline_run_per_dataset(values):
    assert values["concurrency"]["enabled"] is True
    assert values["concurrency"]["runs"]["tagConcurrencyLimits"] == [dataset_concurrency_limit()]
