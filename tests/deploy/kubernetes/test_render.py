"""Every environment renders with kubectl 1.35's kustomize, holds the objects the contract
names, and is made of patches of the base only."""

from __future__ import annotations

import pytest
import yaml
from manifests import ENVIRONMENTS, KUBERNETES_DIR, kubectl_bin_dir, render

# The object names other parts of Quantis rely on (the settings' URLs, the deploy target,
# the CI workflow, terraform's IRSA roles).
CONTRACT = {
    "Namespace": {"quantis"},
    "Deployment": {"frontend-deployment", "backend-deployment", "model-deployment"},
    "Service": {"frontend-service", "backend-service", "model-service", "database-service"},
    "ConfigMap": {"app-configmap"},
    "ServiceAccount": {"quantis-dagster", "quantis-api", "quantis-model-server", "quantis-backup"},
    "PersistentVolumeClaim": {"model-artifacts", "logs"},
    "Ingress": {"quantis-ingress"},
}


def test_kubectl_is_the_layer_wheels_1_35():
    import subprocess

    version = subprocess.run(
        [str(kubectl_bin_dir() / "kubectl"), "version", "--client", "-o", "yaml"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    client = yaml.safe_load(version)["clientVersion"]
    assert (client["major"], client["minor"]) == ("1", "35")
    assert str(kubectl_bin_dir()).startswith(str(KUBERNETES_DIR.parents[1] / ".tools"))


@pytest.mark.parametrize("target", ["base", *ENVIRONMENTS])
def test_renders_with_the_contract_names(target):
    rendered = render(target)
    for kind, names in CONTRACT.items():
        assert names <= rendered.names(kind), (
            f"{target}: missing {kind} {names - rendered.names(kind)}"
        )
    assert {o["metadata"].get("namespace", "quantis") for o in rendered.objects} == {"quantis"}
    # The terraform values are read, never applied.
    assert "terraform-outputs" not in rendered.names("ConfigMap")


def test_the_in_cluster_database_only_in_dev():
    assert "database-statefulset" in render("base").names("StatefulSet")
    assert "database-statefulset" in render("dev").names("StatefulSet")
    for environment in ("staging", "prod"):
        rendered = render(environment)
        assert not rendered.of_kind("StatefulSet") and not rendered.of_kind("CronJob")
        service = rendered.get("Service", "database-service")
        assert service["spec"]["type"] == "ExternalName"
        assert "selector" not in service["spec"] and "clusterIP" not in service["spec"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_environments_only_patch_the_base(environment):
    folder = KUBERNETES_DIR / "environments" / environment
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    assert kustomization["resources"] == ["../../base"]
    assert all(c.startswith("../../components/") for c in kustomization.get("components", []))
    # Every patch file names objects the base has (a typo would add a half object instead).
    base = {(o["kind"], o["metadata"]["name"]) for o in render("base").objects}
    patch_files = [p["path"] for p in kustomization.get("patches", []) if "path" in p]
    assert patch_files, "an environment with no patches is the base"
    for name in patch_files:
        for patch in yaml.safe_load_all((folder / name).read_text()):
            assert (patch["kind"], patch["metadata"]["name"]) in base, f"{name}: {patch}"
    listed = {"kustomization.yaml", "terraform-outputs.env", *patch_files}
    assert {p.name for p in folder.iterdir()} == listed


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_hosts_and_bounds_differ_per_environment(environment):
    rendered = render(environment)
    ingress = rendered.get("Ingress", "quantis-ingress")["spec"]
    [rule], [tls] = ingress["rules"], ingress["tls"]
    assert tls["hosts"] == [rule["host"]]
    assert (environment == "prod") == (rule["host"] == "quantis.example.com")
    for hpa in rendered.of_kind("HorizontalPodAutoscaler"):
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert len({render(e).get("Ingress", "quantis-ingress")["spec"]["rules"][0]["host"]
                for e in ENVIRONMENTS}) == 3  # fmt: skip
