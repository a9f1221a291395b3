"""scripts/terraform-plan.sh and the CI workflow: what can be checked without network access."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml
from tfconfig import REPO_ROOT

PLAN_SCRIPT = REPO_ROOT / "scripts" / "terraform-plan.sh"
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "terraform.yml"


def _plan(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PLAN_SCRIPT), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("args", [(), ("qa",), ("../dev",)])
def test_plan_refuses_an_unknown_environment_naming_the_valid_ones(args: tuple[str, ...]) -> None:
    result = _plan(*args)
    assert result.returncode == 2
    assert "expected one of: dev staging prod" in result.stderr


def test_plan_says_when_terraform_is_missing() -> None:
    env = {**os.environ, "TERRAFORM": "/nonexistent/terraform"}
    result = _plan("dev", env=env)
    assert result.returncode == 127
    assert "install Terraform" in result.stderr


def test_ci_workflow_runs_fmt_validate_tests_checkov_and_plan() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    commands = "\n".join(
        step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]
    )
    for command in (
        "terraform fmt -check",
        "init -backend=false",
        "validate",
        "pytest tests/terraform",
        "scripts/checkov.sh",
        "scripts/terraform-plan.sh ${{ matrix.environment }}",
    ):
        assert command in commands
    assert workflow["jobs"]["plan"]["strategy"]["matrix"]["environment"] == [
        "dev",
        "staging",
        "prod",
    ]
