"""Container build and stack-up times with podman on this machine (what `.ci/run` pays).

Three phases, each timed per image:
- `--cold`: `podman build --no-cache` of every image (no layer cache; the uv and npm download
  caches of earlier builds stay warm, as they do between CI runs here),
- warm: the same builds again with the layer cache (what a CI run without changes pays),
- the compose stack: `up` until every service is healthy, then `down --volumes`.
Image sizes are podman's. Results: benchmarks/results/containers.{json,md}.

    .venv/bin/python benchmarks/containers.py [--cold]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests" / "deploy" / "docker"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine_info, write_results  # noqa: E402
from compose_stack import (  # noqa: E402
    ComposeStack,
    HealthTicker,
    StackPorts,
    write_override,
)
from images import IMAGES, build_test_bento, third_party_images_of_compose  # noqa: E402
from podman import Podman, PodmanService  # noqa: E402
from standins import base_images_named, ensure_standins  # noqa: E402

SERVICES = [
    "db", "minio", "minio-init", "mlflow", "migrate", "dagster-code", "dagster-webserver",
    "dagster-daemon", "model-fetch", "model-server", "api", "frontend",
]  # fmt: skip


def _build_all(podman: Podman, bento: Path, no_cache: bool) -> dict[str, float]:
    seconds = {}
    for spec in IMAGES:
        started = time.monotonic()
        podman.build(
            bento if spec.from_bento else REPO_ROOT,
            tag=spec.reference,
            dockerfile=spec.dockerfile,
            target=spec.target,
            extra_args=["--no-cache"] if no_cache else [],
        )
        seconds[spec.reference] = round(time.monotonic() - started, 1)
    return seconds


def _stack_up(podman: Podman, work: Path) -> float:
    stack_secrets = {
        "QUANTIS_SECRET_KEY": secrets.token_hex(24),
        "QUANTIS_DATABASE_PASSWORD": secrets.token_hex(12),
        "MINIO_ROOT_PASSWORD": secrets.token_hex(12),
    }
    override = write_override(work / "override.yml", StackPorts(), stack_secrets)
    service = PodmanService(podman, work / "podman.sock").start()
    project = f"quantis-bench-{secrets.token_hex(3)}"
    stack = ComposeStack(podman, service, project, override, stack_secrets, work)
    try:
        with HealthTicker(podman, project):
            started = time.monotonic()
            stack.compose("up", "--detach", "--no-build")
            stack.wait_until_healthy(SERVICES)
            return round(time.monotonic() - started, 1)
    finally:
        stack.down()
        service.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cold", action="store_true", help="also time builds without cache")
    arguments = parser.parse_args()
    machine = machine_info()
    work = Path(tempfile.mkdtemp(prefix="quantis-bench-containers-"))
    podman = Podman(work / "logs")
    started = time.monotonic()
    dockerfiles = {spec.dockerfile for spec in IMAGES}
    ensure_standins(podman, base_images_named(dockerfiles) | third_party_images_of_compose())
    standins = round(time.monotonic() - started, 1)
    bento = build_test_bento(work)
    cold = _build_all(podman, bento, no_cache=True) if arguments.cold else {}
    warm = _build_all(podman, bento, no_cache=False)
    sizes = {spec.reference: round(podman.image_size(spec.reference) / 1e6) for spec in IMAGES}
    stack_up = _stack_up(podman, work)
    rows = [f"| {ref} | {cold.get(ref, '-')} | {warm[ref]} | {sizes[ref]} |" for ref in warm]
    table = (
        f"Stand-in base images (built or found): {standins} s. Stack up to all healthy: {stack_up} s.\n\n"
        "| image | cold build s | warm build s | size MB |\n| --- | --- | --- | --- |\n"
        + "\n".join(rows)
        + f"\n| total | {round(sum(cold.values()), 1) if cold else '-'} | {round(sum(warm.values()), 1)} | |"
    )
    payload = {
        "standins_seconds": standins,
        "cold_build_seconds": cold,
        "warm_build_seconds": warm,
        "image_megabytes": sizes,
        "stack_up_seconds": stack_up,
    }
    print(write_results("containers", payload, table, machine))


if __name__ == "__main__":
    main()
