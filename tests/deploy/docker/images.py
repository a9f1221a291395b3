"""The Quantis images as the tests build them: what to build, from which context.

Four images build from the repository root (api, dagster, mlflow, frontend). The model
server builds from a Bento: here the tiny test model is packaged by the pipeline's own
`build_model_bento` and exported with `scripts/bento_context.sh`, so the image carries a
baked-in model exactly as one built from a pipeline Bento does.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path

from podman import REPO_ROOT, Podman
from standins import STANDINS, base_images_named, ensure_standins

__all__ = [
    "DOCKERFILES",
    "IMAGES",
    "TAG",
    "ImageSpec",
    "build_images",
    "build_moto_image",
    "build_test_bento",
    "stage_cache_reference",
    "stages_copied_from",
]

DOCKER_DIR = REPO_ROOT / "deploy" / "docker"
TAG = "latest"


@dataclass(frozen=True)
class ImageSpec:
    name: str  # local name and ECR repository suffix
    dockerfile: Path
    target: str | None = None
    tag: str = TAG
    from_bento: bool = False

    @property
    def reference(self) -> str:
        return f"localhost/{self.name}:{self.tag}"


IMAGES = (
    ImageSpec("quantis/api", DOCKER_DIR / "api" / "Dockerfile", target="api"),
    ImageSpec("quantis/dagster", DOCKER_DIR / "dagster" / "Dockerfile", target="dagster"),
    ImageSpec("quantis/mlflow", DOCKER_DIR / "mlflow" / "Dockerfile"),
    ImageSpec("quantis/frontend", DOCKER_DIR / "frontend" / "Dockerfile"),
    ImageSpec("quantis/model-server", DOCKER_DIR / "model-server" / "Dockerfile", "cpu",
              from_bento=True),
    ImageSpec("quantis/model-server", DOCKER_DIR / "model-server" / "Dockerfile", "gpu",
              tag=f"{TAG}-gpu", from_bento=True),
)  # fmt: skip
DOCKERFILES = sorted({spec.dockerfile for spec in IMAGES})


def lock_constraints() -> str:
    """`name==version` of every registry package in uv.lock: pip constraints."""
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    pins = [
        f"{package['name']}=={package['version']}"
        for package in lock["package"]
        if "registry" in package.get("source", {})
    ]
    return "\n".join(sorted(pins)) + "\n"


def build_test_bento(work: Path) -> Path:
    """A model-server Bento with the tiny test model baked in, exported as a build context."""
    sys.path.insert(0, str(REPO_ROOT / "tests" / "bentos"))
    from served_model import build_tiny_model_dir

    from orchestration.defs.serving.bento_build import build_model_bento

    home = work / "bentoml"
    built = build_model_bento(
        build_tiny_model_dir(work / "model"),
        model_name="quantis-forecaster",
        labels={"registered_model": "quantis-forecaster", "registered_version": "7"},
        bentoml_home=home,
    )
    context = work / "bento-context"
    subprocess.run(
        [str(REPO_ROOT / "scripts" / "bento_context.sh"), built.bento_tag, str(context)],
        env={"BENTOML_HOME": str(home), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    return context


def third_party_images_of_compose() -> set[str]:
    """The images compose runs as they are (PostgreSQL), less those the tests' override
    replaces (MinIO: moto's server stands in for it)."""
    import yaml

    services = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())["services"]
    images = {service["image"] for service in services.values()}
    return {image for image in images if not image.startswith("quantis/") and image in STANDINS}


_STAGE = re.compile(r"^FROM\s+.+?\s+AS\s+(\S+)\s*$", re.IGNORECASE | re.MULTILINE)
_COPY_FROM = re.compile(r"^COPY\s+(?:--\S+\s+)*?--from=(\S+)", re.IGNORECASE | re.MULTILINE)


def stages_copied_from(dockerfile: Path) -> list[str]:
    """The stages of `dockerfile` that a later stage copies files out of (`COPY --from=`), in
    order: their images are nobody's parent, so nothing tagged keeps them."""
    text = dockerfile.read_text()
    stages = set(_STAGE.findall(text))
    return list(dict.fromkeys(s for s in _COPY_FROM.findall(text) if s in stages))


def stage_cache_reference(spec: ImageSpec, stage: str) -> str:
    return f"localhost/quantis-test-cache/{spec.name.rsplit('/', 1)[-1]}-{stage}:{TAG}"


def build_images(podman: Podman, bento_context: Path) -> dict[str, float]:
    """Stand-ins first, then every image; seconds per image reference (and 'stand-ins').

    The stages an image copies out of (the dependency installs) are tagged too: untagged and
    nobody's parent, the prune below would drop them, and every run would install every
    dependency again (about 7 of the 11 minutes the builds took on a warm store)."""
    import time

    started = time.monotonic()
    ensure_standins(podman, base_images_named(DOCKERFILES) | third_party_images_of_compose())
    seconds = {"stand-ins": time.monotonic() - started}
    for spec in IMAGES:
        context = bento_context if spec.from_bento else REPO_ROOT
        seconds[spec.reference] = podman.build(
            context, tag=spec.reference, dockerfile=spec.dockerfile, target=spec.target
        )
        for stage in stages_copied_from(spec.dockerfile):
            cached = stage_cache_reference(spec, stage)
            if cached not in seconds:  # every step is cached: the build only tags the stage
                seconds[cached] = podman.build(
                    context, tag=cached, dockerfile=spec.dockerfile, target=stage
                )
    prune_replaced_images(podman)
    return seconds


def prune_replaced_images(podman: Podman) -> None:
    """A rebuild leaves the image it replaced untagged; drop those so the store (kept between
    runs for its layer cache) does not grow without bound. Layers still under a tagged image
    stay, so the cache is untouched.

    Housekeeping only: an untagged image still held by a container (one left by an earlier,
    interrupted run, or a build's working container) makes podman refuse the whole prune. That
    says nothing about the images just built, so it is written to the container log and the
    tests go on; the next run prunes what it can."""
    completed = podman.run("image", "prune", "--force", check=False)
    if completed.returncode != 0:
        podman.log_dir.mkdir(parents=True, exist_ok=True)
        (podman.log_dir / "image-prune.log").write_text(completed.stdout + completed.stderr)
        warnings.warn(
            "podman image prune left images behind (see image-prune.log): "
            + (completed.stderr.strip().splitlines() or ["no message"])[-1],
            stacklevel=2,
        )


def build_moto_image(podman: Podman, work: Path, tag: str) -> float:
    """The test-only S3 server image (moto, at uv.lock's versions) that stands in for MinIO."""
    context = work / "moto"
    context.mkdir(parents=True, exist_ok=True)
    (context / "Containerfile").write_text(
        (REPO_ROOT / "tests/deploy/docker/standins/moto.Containerfile").read_text()
    )
    (context / "constraints.txt").write_text(lock_constraints())
    return podman.build(context, tag=tag, dockerfile=context / "Containerfile")
