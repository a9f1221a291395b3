"""Fixtures of the container tests: podman with this sandbox's settings, and every Quantis
image built once per session over stand-in base images (podman's store keeps the stand-ins
and the layers between runs, so a second run rebuilds only what changed).

podman, docker-compose, debootstrap and nginx come from Debian's packages, installed by
scripts/ensure_container_tools.sh (scripts/test.sh runs it); a missing one fails the tests.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from compose_stack import MOTO_IMAGE  # noqa: E402
from images import IMAGES, build_images, build_moto_image, build_test_bento  # noqa: E402
from podman import REPO_ROOT, Podman  # noqa: E402

ARTIFACTS = REPO_ROOT / "test-artifacts" / "containers"


@dataclass(frozen=True)
class BuiltImages:
    seconds: dict[str, float]  # build time per image reference (and the stand-ins)
    sizes: dict[str, int]  # bytes per image reference, as podman reports them


@pytest.fixture(scope="session")
def podman() -> Podman:
    missing = [
        tool for tool in ("podman", "docker-compose", "debootstrap") if not shutil.which(tool)
    ]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: run scripts/ensure_container_tools.sh (as root)",
            pytrace=False,
        )
    return Podman(ARTIFACTS)


@pytest.fixture(scope="session")
def built_images(podman: Podman, tmp_path_factory: pytest.TempPathFactory) -> BuiltImages:
    work = tmp_path_factory.mktemp("images")
    seconds = build_images(podman, build_test_bento(work))
    seconds[MOTO_IMAGE] = build_moto_image(podman, work, MOTO_IMAGE)
    sizes = {spec.reference: podman.image_size(spec.reference) for spec in IMAGES}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "images.json").write_text(
        json.dumps({"seconds": seconds, "bytes": sizes}, indent=2)
    )
    return BuiltImages(seconds, sizes)
