"""scripts/kubernetes_terraform_outputs.py turns `terraform output -json` of an environment
into its terraform-outputs.env, and the environment then renders with terraform's roles,
buckets and database endpoint (on a copy of deploy/kubernetes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from manifests import KUBERNETES_DIR, REPO_ROOT, kubectl_bin_dir

SCRIPT = REPO_ROOT / "scripts" / "kubernetes_terraform_outputs.py"
ACCOUNT = "123456789012"


def _outputs(name: str = "quantis-prod") -> dict:
    """`terraform output -json` as terraform prints it for terraform/environments/prod."""
    roles = {
        account: f"arn:aws:iam::{ACCOUNT}:role/{name}-{account.removeprefix('quantis-')}"
        for account in ("quantis-api", "quantis-model-server", "quantis-backup", "quantis-dagster")
    }

    def output(value, kind):
        return {"sensitive": False, "type": kind, "value": value}

    return {
        "service_account_role_arns": output(roles, ["map", "string"]),
        "artifacts_bucket_name": output(f"{name}-artifacts-{ACCOUNT}", "string"),
        "backups_bucket_name": output(f"{name}-backups-{ACCOUNT}", "string"),
        "database_endpoint": output(f"{name}.c9akciq32.us-east-1.rds.amazonaws.com:5432", "string"),
        "cluster_name": output(f"{name}", "string"),
    }  # fmt: skip


def _run(tmp_path: Path, outputs: dict, env_file: Path) -> subprocess.CompletedProcess[str]:
    saved = tmp_path / "outputs.json"
    saved.write_text(json.dumps(outputs))
    return subprocess.run(
        [sys.executable, str(SCRIPT), "prod", "--outputs-json", str(saved),
         "--env-file", str(env_file)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_outputs_become_the_environments_values(tmp_path):
    tree = tmp_path / "kubernetes"
    shutil.copytree(KUBERNETES_DIR, tree)
    env_file = tree / "environments" / "prod" / "terraform-outputs.env"
    done = _run(tmp_path, _outputs(), env_file)
    assert done.returncode == 0, done.stderr

    rendered = subprocess.run(
        [str(kubectl_bin_dir() / "kubectl"), "kustomize", str(tree / "environments" / "prod")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    objects = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(rendered) if o}
    api = objects[("ServiceAccount", "quantis-api")]["metadata"]["annotations"]
    assert api["eks.amazonaws.com/role-arn"] == f"arn:aws:iam::{ACCOUNT}:role/quantis-prod-api"
    settings = objects[("ConfigMap", "app-configmap")]["data"]
    assert settings["QUANTIS_OBJECT_STORE_URL"] == f"s3://quantis-prod-artifacts-{ACCOUNT}/quantis"
    database = objects[("Service", "database-service")]["spec"]
    assert database["externalName"] == "quantis-prod.c9akciq32.us-east-1.rds.amazonaws.com"
    # The VPC range is terraform's literal and stays as it was.
    assert "VPC_CIDR=10.30.0.0/16" in env_file.read_text()


def test_missing_or_malformed_outputs_leave_the_file_alone(tmp_path):
    env_file = tmp_path / "terraform-outputs.env"
    original = (KUBERNETES_DIR / "environments/prod/terraform-outputs.env").read_text()
    env_file.write_text(original)

    incomplete = _outputs()
    del incomplete["service_account_role_arns"]["value"]["quantis-backup"]
    done = _run(tmp_path, incomplete, env_file)
    assert done.returncode == 1 and "no role for quantis-backup" in done.stderr

    malformed = _outputs()
    malformed["artifacts_bucket_name"]["value"] = "Not A Bucket"
    done = _run(tmp_path, malformed, env_file)
    assert done.returncode == 1 and "artifacts_bucket_name" in done.stderr
    assert env_file.read_text() == original and not list(tmp_path.glob("*.partial"))
