"""The Dockerfiles as text: pinned bases with stand-ins, the stages api and dagster share,
versions that agree with the project, and nothing of this sandbox in them."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml
from images import DOCKER_DIR, DOCKERFILES
from podman import REPO_ROOT
from standins import STANDINS, base_images_named

# An exact release: x.y.z (PostgreSQL's own releases are x.y, Prometheus' vx.y.z) or MinIO's
# RELEASE.<time> tags.
EXACT_TAG = re.compile(
    r"^docker\.io/[a-z0-9/_-]+:(\d+\.\d+\.\d+|(?<=postgres:)\d+\.\d+|(?<=prometheus:)v\d+\.\d+\.\d+"
    r"|RELEASE\.[0-9TZ-]+)"
    r"(-[a-z0-9-]+)?$"
)
SHARED_STAGES = ("deps", "app", "runtime-base")


def _stages(text: str) -> dict[str, str]:
    """Stage name -> its instructions (from its FROM line to the next FROM)."""
    parts = re.split(r"(?m)^(?=FROM )", text)
    stages = {}
    for part in parts:
        found = re.match(r"FROM \S+ AS (\S+)", part)
        if found:
            stages[found.group(1)] = re.sub(r"(?m)^# --- .*$", "", part).strip()
    return stages


def _compose_images() -> set[str]:
    services = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())["services"]
    return {service["image"] for service in services.values()}


@pytest.mark.parametrize("image", sorted(base_images_named(DOCKERFILES)))
def test_base_images_are_official_pinned_and_have_a_stand_in(image: str):
    assert EXACT_TAG.match(image), f"{image} is not pinned to an exact version tag"
    assert image in STANDINS


def test_third_party_images_of_compose_are_pinned_and_runnable_here():
    third_party = {image for image in _compose_images() if not image.startswith("quantis/")}
    for image in third_party:
        assert EXACT_TAG.match(image), image
    # MinIO has no stand-in: the tests' override runs moto's S3 server in its place. Grafana
    # has none either (no Debian package, no build to fetch): the stack test leaves it out.
    assert third_party - set(STANDINS) == {
        "docker.io/minio/minio:RELEASE.2025-04-22T22-12-26Z",
        "docker.io/minio/mc:RELEASE.2025-04-16T18-13-26Z",
        "docker.io/grafana/grafana:12.1.1",
    }


def test_api_and_dagster_share_their_first_stages_verbatim():
    api = _stages((DOCKER_DIR / "api" / "Dockerfile").read_text())
    dagster = _stages((DOCKER_DIR / "dagster" / "Dockerfile").read_text())
    for stage in SHARED_STAGES:
        assert api[stage] == dagster[stage], f"stage {stage} differs: the layer cache splits"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_nothing_of_this_sandbox_is_in_a_dockerfile(dockerfile):
    text = dockerfile.read_text().lower()
    for word in (
        "podman",
        "stand-in",
        "standin",
        "ca-certificates.crt",
        "native-tls",
        "localhost/",
    ):
        assert word not in text, f"{dockerfile.parent.name} mentions {word!r}"


def test_python_uv_and_node_versions_agree_with_the_project():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == ">=3.11,<3.12"
    bootstrap = (REPO_ROOT / "scripts" / "bootstrap.sh").read_text()
    [uv_version] = re.findall(r'UV_VERSION="([^"]+)"', bootstrap)
    for dockerfile in DOCKERFILES:
        text = dockerfile.read_text()
        for base in base_images_named([dockerfile]):
            if "/python:" in base:
                assert base.split(":")[1].startswith("3.11."), base
        for pinned in re.findall(r"uv==(\S+)", text):
            assert pinned == uv_version, dockerfile
    node = next(b for b in base_images_named(DOCKERFILES) if "/node:" in b)
    package = (REPO_ROOT / "frontend" / "package.json").read_text()
    wanted_major = int(re.search(r'"node":\s*">=(\d+)"', package).group(1))
    assert int(node.split(":")[1].split(".")[0]) >= wanted_major


def test_the_dockerignore_keeps_local_state_and_secrets_out():
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".env", ".venv", ".quantis", "frontend/node_modules", "tests"):
        assert entry in ignored, entry
