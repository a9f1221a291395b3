"""Stand-ins for the official base images, assembled from Debian's packages.

No container registry is reachable here, so each base image a Dockerfile (or compose) names
is built locally under exactly that name and tag: a `debootstrap --variant=minbase bookworm`
root file system imported with `podman import`, plus what the official image adds (Python at
/usr/local/bin, nginx, this machine's Node.js, PostgreSQL, Prometheus). podman's store keeps them between
runs; a stand-in is rebuilt only when its recipe (Containerfile and inputs) changes, which
its `quantis.standin.recipe` label records.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from podman import HERE, Podman, PodmanError

__all__ = [
    "BASE_IMAGE",
    "STANDINS",
    "StandIn",
    "base_images_named",
    "ensure_standins",
]

RECIPES = HERE / "standins"
BASE_IMAGE = "localhost/quantis-standin/bookworm-minbase:latest"
RECIPE_LABEL = "quantis.standin.recipe"
# The stand-ins fetch packages from the mirrors this machine's apt uses (the official Debian
# image has the release, its updates and security, as the usual deb822 sources file does).
HOST_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")


def _host_mirror() -> str:
    """The first Debian mirror named in this machine's apt sources."""
    for line in HOST_SOURCES.read_text().splitlines():
        if line.startswith("URIs:"):
            return line.split()[1]
    raise PodmanError(f"{HOST_SOURCES} names no mirror (URIs:) for debootstrap")


@dataclass(frozen=True)
class StandIn:
    """How to build the stand-in for one official image name and tag."""

    containerfile: str
    files: tuple[str, ...] = ()  # beside the Containerfile, copied into the context
    host_paths: dict[str, str] = field(default_factory=dict)  # context name -> host path

    def recipe_hash(self) -> str:
        digest = hashlib.sha256(_base_recipe().encode())
        digest.update((RECIPES / self.containerfile).read_bytes())
        for name in self.files:
            digest.update((RECIPES / name).read_bytes())
        for name, host in sorted(self.host_paths.items()):
            digest.update(f"{name}={host}:{_host_version(host)}".encode())
        return digest.hexdigest()[:16]


def _host_version(path: str) -> str:
    if Path(path).name == "node":
        return subprocess.run([path, "--version"], capture_output=True, text=True).stdout.strip()
    package = Path(path) / "package.json"
    return package.read_text()[:400] if package.exists() else ""


STANDINS: dict[str, StandIn] = {
    "docker.io/library/python:3.11.14-slim-bookworm": StandIn("python.Containerfile"),
    "docker.io/library/nginx:1.28.0-bookworm": StandIn("nginx.Containerfile"),
    "docker.io/library/node:20.20.2-bookworm-slim": StandIn(
        "node.Containerfile",
        host_paths={"node": "/usr/bin/node", "npm": "/usr/lib/node_modules/npm"},
    ),
    "docker.io/library/postgres:17.6-bookworm": StandIn(
        "postgres.Containerfile", files=("postgres-entrypoint.sh",)
    ),
    # Debian's Prometheus (2.42 in bookworm) under the official image's name; Grafana has no
    # Debian package and no build can be fetched here: compose's grafana is never started by
    # the tests (deploy/README.md).
    "docker.io/prom/prometheus:v3.5.0": StandIn("prometheus.Containerfile"),
}

_FROM = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE | re.MULTILINE)


def base_images_named(dockerfiles: Iterable[Path]) -> set[str]:
    """Every external image the Dockerfiles start from (stage names excluded)."""
    names: set[str] = set()
    for dockerfile in dockerfiles:
        text = dockerfile.read_text()
        stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", text, re.IGNORECASE | re.MULTILINE))
        names |= {image for image in _FROM.findall(text) if image not in stages}
    return names


def _base_recipe() -> str:
    """What the base root file system is made from (its label; part of every stand-in's)."""
    recipe = f"debootstrap minbase bookworm +ca-certificates\n{HOST_SOURCES.read_text()}"
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def _ensure_base(podman: Podman, work: Path) -> None:
    sources = HOST_SOURCES.read_text()
    wanted = _base_recipe()
    if podman.label(BASE_IMAGE, RECIPE_LABEL) == wanted:
        return
    rootfs = work / "rootfs"
    subprocess.run(
        ["debootstrap", "--variant=minbase", "--include=ca-certificates", "bookworm",
         str(rootfs), _host_mirror()],
        check=True, capture_output=True, timeout=900,
    )  # fmt: skip
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(sources)
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for item in (rootfs / cache).glob("*"):
            if item.is_file():
                item.unlink()
    archive = work / "rootfs.tar"
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(archive), "."], check=True)
    podman.run(
        "import",
        "--change", f"LABEL {RECIPE_LABEL}={wanted}",
        "--change", 'CMD ["bash"]',
        "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        str(archive), BASE_IMAGE,
    )  # fmt: skip


def _ensure_one(podman: Podman, name: str, standin: StandIn, work: Path) -> bool:
    wanted = standin.recipe_hash()
    if podman.label(name, RECIPE_LABEL) == wanted:
        return False
    context = work / re.sub(r"[^A-Za-z0-9]+", "-", name)
    context.mkdir(parents=True)
    shutil.copy(RECIPES / standin.containerfile, context / "Containerfile")
    for file_name in standin.files:
        shutil.copy(RECIPES / file_name, context / file_name)
    for context_name, host in standin.host_paths.items():
        source = Path(host)
        if source.is_dir():
            shutil.copytree(source, context / context_name, symlinks=True)
        else:
            shutil.copy(source, context / context_name)
    podman.build(
        context,
        tag=name,
        dockerfile=context / "Containerfile",
        labels={RECIPE_LABEL: wanted, "quantis.standin": "true"},
    )
    return True


def ensure_standins(podman: Podman, names: Iterable[str]) -> list[str]:
    """Build the stand-ins of `names` that are missing or stale; returns those built."""
    missing = sorted(set(names) - set(STANDINS))
    if missing:
        raise PodmanError(f"no stand-in recipe for base image(s) {missing}: add one to STANDINS")
    built = []
    with tempfile.TemporaryDirectory(prefix="quantis-standins-") as scratch:
        work = Path(scratch)
        _ensure_base(podman, work)
        for name in sorted(set(names)):
            if _ensure_one(podman, name, STANDINS[name], work):
                built.append(name)
    return built
