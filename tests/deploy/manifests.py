"""The Kubernetes manifests as `kubectl kustomize` renders them, for the deploy tests.

kubectl is the 1.35 build that scripts/kubectl.sh unpacks from the PyPI layer wheel (never
the machine's /usr/bin/kubectl). Each target (`base` or an environment) is rendered once
per test session.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ENVIRONMENTS",
    "KUBERNETES_DIR",
    "REPO_ROOT",
    "Rendered",
    "kubectl_bin_dir",
    "render",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
KUBERNETES_DIR = REPO_ROOT / "deploy" / "kubernetes"
ENVIRONMENTS = ("dev", "staging", "prod")
POD_WORKLOADS = ("Deployment", "StatefulSet", "CronJob")


@cache
def kubectl_bin_dir() -> Path:
    """The folder holding kubectl 1.35 and helm, unpacked on first use."""
    done = subprocess.run(
        [str(REPO_ROOT / "scripts" / "kubectl.sh"), "--bin-dir"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"scripts/kubectl.sh failed: {done.stderr}")
    return Path(done.stdout.strip())


@dataclass(frozen=True)
class Rendered:
    """The objects of one rendered kustomization."""

    target: str
    objects: tuple[dict[str, Any], ...]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        if len(found) != 1:
            raise KeyError(f"{self.target}: {len(found)} {kind} named {name!r}")
        return found[0]

    def names(self, kind: str) -> set[str]:
        return {o["metadata"]["name"] for o in self.of_kind(kind)}

    def pod_templates(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(workload, pod template) of every Deployment, StatefulSet and CronJob."""
        for workload in self.objects:
            if workload["kind"] == "CronJob":
                yield workload, workload["spec"]["jobTemplate"]["spec"]["template"]
            elif workload["kind"] in POD_WORKLOADS:
                yield workload, workload["spec"]["template"]

    def containers(self) -> Iterator[tuple[dict[str, Any], dict[str, Any], bool]]:
        """(workload, container, is_init) of every container of every pod template."""
        for workload, template in self.pod_templates():
            for container in template["spec"].get("initContainers", []):
                yield workload, container, True
            for container in template["spec"]["containers"]:
                yield workload, container, False

    def configmap(self, name: str = "app-configmap") -> dict[str, str]:
        return self.get("ConfigMap", name)["data"]


@cache
def render(target: str) -> Rendered:
    """`kubectl kustomize` of deploy/kubernetes/base or of an environment."""
    folder = KUBERNETES_DIR / (target if target == "base" else f"environments/{target}")
    done = subprocess.run(
        [str(kubectl_bin_dir() / "kubectl"), "kustomize", str(folder)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise AssertionError(f"kubectl kustomize {folder} failed:\n{done.stderr}")
    objects = tuple(o for o in yaml.safe_load_all(done.stdout) if o)
    return Rendered(target, objects)
