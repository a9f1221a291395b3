"""shellcheck on the shell scripts of the container and release tooling."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [
    "scripts/ensure_container_tools.sh",
    "scripts/ensure_prometheus.sh",
    "scripts/ensure_browser.sh",
    "scripts/apt_install_quietly.sh",
    "scripts/bento_context.sh",
    "scripts/deploy_release.sh",
    "deploy/docker/frontend/entrypoint.sh",
    "tests/deploy/docker/standins/postgres-entrypoint.sh",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_shellcheck_finds_nothing(script: str):
    shellcheck = str(Path(sys.executable).with_name("shellcheck"))
    result = subprocess.run(
        [shellcheck, "--severity=style", str(REPO_ROOT / script)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
