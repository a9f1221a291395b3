"""scripts/deploy_release.sh, the CI workflow's roll-out, against recording stand-ins of
kustomize, kubectl, helm, aws and docker: set image, apply, wait, and undo on a failure.

The fakes keep a Deployment's generation in a file and raise it on `apply`, as the API
server does for a changed pod template, so the undo step's "did this run change it" is real.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "deploy_release.sh"
IMAGES = [
    "quantis/api",
    "quantis/frontend",
    "quantis/model-server",
    "quantis/dagster",
    "quantis/mlflow",
]
DEPLOYMENTS = ["backend-deployment", "frontend-deployment", "model-deployment"]

FAKE = r"""#!/usr/bin/env bash
# Records its arguments; kubectl also plays a tiny API server for generations and rollouts.
echo "$(basename "$0") $*" >> "$FAKE_LOG"
state="$FAKE_STATE"
if [[ "$(basename "$0")" != kubectl ]]; then exit 0; fi
case " $* " in
  *" apply -k "*)
    for d in backend-deployment frontend-deployment model-deployment; do
      echo $(( $(cat "$state/$d") + 1 )) > "$state/$d"
    done ;;
  *" get deployment "*)
    name="$(echo "$*" | sed -E 's/.* get deployment ([^ ]+).*/\1/')"
    cat "$state/$name" ;;
  *" rollout status deployment/"*)
    name="$(echo "$*" | sed -E 's/.*deployment\/([^ ]+).*/\1/')"
    if [[ " ${FAKE_FAILING:-} " == *" $name "* && ! -e "$state/$name.undone" ]]; then
      echo "error: deployment \"$name\" exceeded its progress deadline" >&2; exit 1
    fi ;;
  *" rollout undo deployment/"*)
    name="$(echo "$*" | sed -E 's/.*deployment\/([^ ]+).*/\1/')"
    touch "$state/$name.undone" ;;
esac
"""


def _run(tmp_path: Path, *args: str, failing: str = "", helm_values: bool = False):
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir(exist_ok=True)
    state.mkdir(exist_ok=True)
    for tool in ("kubectl", "kustomize", "helm", "aws", "docker"):
        (bin_dir / tool).write_text(FAKE)
        (bin_dir / tool).chmod(0o755)
    for deployment in DEPLOYMENTS:
        (state / deployment).write_text("3\n")
    work = tmp_path / "checkout"
    (work / "deploy/kubernetes/environments/staging").mkdir(parents=True, exist_ok=True)
    if helm_values:
        (work / "deploy/helm").mkdir(parents=True, exist_ok=True)
        (work / "deploy/helm/dagster-values.yaml").write_text("{}\n")
    log = tmp_path / "calls.log"
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "FAKE_LOG": str(log),
        "FAKE_STATE": str(state),
        "FAKE_FAILING": failing,
        "REGISTRY": "123.dkr.ecr.us-east-1.amazonaws.com/quantis-staging",
        "SOURCE_REGISTRY": "123.dkr.ecr.us-east-1.amazonaws.com/quantis-staging",
        "RELEASE": "abc123",
        "ENVIRONMENT_DIR": "deploy/kubernetes/environments/staging",
        "CLUSTER": "quantis-staging",
        "DAGSTER_CHART_VERSION": "1.13.27",
        "ROLLOUT_TIMEOUT": "5s",
    }
    result = subprocess.run(
        ["bash", str(SCRIPT), *args], cwd=work, env={**env, "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    calls = [shlex.split(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, calls


def _named(calls: list[list[str]], tool: str) -> list[list[str]]:
    return [call[1:] for call in calls if call[0] == tool]


def test_a_release_sets_every_image_applies_and_waits_for_every_deployment(tmp_path: Path):
    result, calls = _run(tmp_path)
    assert result.returncode == 0, result.stderr
    registry = "123.dkr.ecr.us-east-1.amazonaws.com/quantis-staging"
    assert _named(calls, "kustomize") == [
        ["edit", "set", "image", f"{image}={registry}/{image}:abc123"] for image in IMAGES
    ]
    kubectl = _named(calls, "kubectl")
    assert ["apply", "-k", "deploy/kubernetes/environments/staging"] in kubectl
    waited = [c for c in kubectl if "rollout" in c and "status" in c]
    assert [c[-2] for c in waited] == [f"deployment/{d}" for d in DEPLOYMENTS]
    assert all("-n" in c and "quantis" in c for c in waited)
    assert not [c for c in kubectl if "undo" in c]
    assert _named(calls, "aws") == [["eks", "update-kubeconfig", "--name", "quantis-staging"]]
    # Without Dagster Helm values in the tree, no chart is touched.
    assert _named(calls, "helm") == []


def test_a_failed_rollout_is_undone_and_fails_the_job(tmp_path: Path):
    result, calls = _run(tmp_path, failing="model-deployment")
    assert result.returncode == 1
    assert "rollout failed for model-deployment" in result.stderr
    undone = [c for c in _named(calls, "kubectl") if "undo" in c]
    # Every Deployment this release changed goes back, not only the one that failed.
    assert sorted(c[-1] for c in undone) == sorted(f"deployment/{d}" for d in DEPLOYMENTS)
    assert _named(calls, "helm") == []  # a failed release goes no further


def test_the_dagster_code_location_rolls_out_through_the_chart_atomically(tmp_path: Path):
    result, calls = _run(tmp_path, helm_values=True)
    assert result.returncode == 0, result.stderr
    upgrade = next(c for c in _named(calls, "helm") if c[0] == "upgrade")
    assert "--atomic" in upgrade and "--version" in upgrade
    assert (
        "dagster-user-deployments.deployments[0].image.tag=abc123" in upgrade
        and "dagster-user-deployments.deployments[0].image.repository="
        "123.dkr.ecr.us-east-1.amazonaws.com/quantis-staging/quantis/dagster"
        in upgrade
    )


def test_promotion_copies_every_image_by_tag_and_deploys_nothing(tmp_path: Path):
    result, calls = _run(tmp_path, "--promote-only")
    assert result.returncode == 0, result.stderr
    registry = "123.dkr.ecr.us-east-1.amazonaws.com/quantis-staging"
    copies = [c for c in _named(calls, "docker") if c[:3] == ["buildx", "imagetools", "create"]]
    sources = sorted(c[-1] for c in copies)
    expected = [f"{registry}/{image}:abc123" for image in IMAGES]
    assert sources == sorted([*expected, f"{registry}/quantis/model-server:abc123-gpu"])
    assert all(c[3] == "--tag" and c[4].endswith(c[-1].rsplit("/", 2)[-1]) for c in copies)
    assert _named(calls, "kubectl") == [] and _named(calls, "kustomize") == []


@pytest.mark.parametrize("missing", ["REGISTRY", "RELEASE"])
def test_missing_inputs_are_named(tmp_path: Path, missing: str):
    env = {k: v for k, v in os.environ.items() if k not in ("REGISTRY", "RELEASE")}
    env.update({"REGISTRY": "r", "RELEASE": "t"})
    del env[missing]
    result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and missing in result.stderr
