"""Run checkov through scripts/checkov.sh and read its JSON report, and read the skip list of
.checkov.yaml; shared by the terraform and the deploy checkov tests.

The script installs checkov into .venv-checkov on first use (a few minutes), so the first run
is slow; later runs take seconds.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping

import yaml
from tfconfig import REPO_ROOT

__all__ = ["CHECKOV_CONFIG", "INSTALL_TIMEOUT_S", "justified_skips", "run_checkov"]

CHECKOV_SCRIPT = REPO_ROOT / "scripts" / "checkov.sh"
CHECKOV_CONFIG = REPO_ROOT / ".checkov.yaml"
INSTALL_TIMEOUT_S = 1500


def run_checkov(*args: str, env: Mapping[str, str] | None = None) -> tuple[int, list[dict]]:
    """(exit status, one report per framework) of `scripts/checkov.sh --output json ARGS`."""
    completed = subprocess.run(
        [str(CHECKOV_SCRIPT), "--output", "json", *args],
        cwd=REPO_ROOT,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        check=False,
    )
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(
            f"checkov printed no JSON report (exit {completed.returncode}): "
            f"{completed.stderr[-2000:]}"
        ) from error
    return completed.returncode, report if isinstance(report, list) else [report]


def justified_skips(kubernetes: bool) -> list[str]:
    """The skipped check ids of one part (Kubernetes: CKV_K8S_*; else terraform's), each
    checked to have a comment line right above it saying why."""
    lines = CHECKOV_CONFIG.read_text(encoding="utf-8").splitlines()
    skips = [
        check
        for check in yaml.safe_load("\n".join(lines))["skip-check"]
        if check.startswith("CKV_K8S_") == kubernetes
    ]
    for check_id in skips:
        index = next(i for i, line in enumerate(lines) if line.strip() == f"- {check_id}")
        assert lines[index - 1].strip().startswith("#"), f"{check_id} has no justification"
    return skips
