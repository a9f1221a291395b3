"""hadolint on every Dockerfile under deploy/docker/, with deploy/docker/hadolint.yaml (which
ignores nothing and fails on info-level findings)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from images import DOCKERFILES
from podman import REPO_ROOT

CONFIG = REPO_ROOT / "deploy" / "docker" / "hadolint.yaml"
HADOLINT = str(Path(sys.executable).with_name("hadolint"))


def _hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HADOLINT, "--config", str(CONFIG), "--no-color", str(dockerfile)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_every_dockerfile_under_deploy_docker_is_linted():
    on_disk = sorted((REPO_ROOT / "deploy" / "docker").glob("*/Dockerfile"))
    assert on_disk == DOCKERFILES


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_hadolint_finds_nothing(dockerfile: Path):
    result = _hadolint(dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_with_our_config_rejects_a_careless_dockerfile(tmp_path: Path):
    careless = tmp_path / "Dockerfile"
    careless.write_text(
        "FROM quay.io/someone/python:latest\n"
        "RUN apt-get update && apt-get install -y curl\n"
        "RUN pip install requests\n"
    )
    output = _hadolint(careless).stdout
    for rule in ("DL3026", "DL3007", "DL3008", "DL3013", "DL3015", "DL3042"):
        assert rule in output, output
