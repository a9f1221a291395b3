"""podman for the container tests: this sandbox's settings, builds that reach the package
registries, image facts, and a Docker-compatible API socket for docker-compose.

Every build runs as `podman build --network host` with this machine's CA bundle mounted over
the image's (the registries sit behind a TLS-inspecting proxy here) and small tool configs
(`build-env/`) that make uv, pip and npm use that bundle. None of this is in a Dockerfile.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from core.processes import (
    ManagedProcess,
    log_tail,
    start_process,
    stop_process_group,
)

__all__ = ["CA_BUNDLE", "HERE", "REPO_ROOT", "Podman", "PodmanError", "PodmanService"]

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BUILD_MOUNTS = {
    CA_BUNDLE: CA_BUNDLE,
    HERE / "build-env" / "uv.toml": Path("/etc/uv/uv.toml"),
    HERE / "build-env" / "pip.conf": Path("/etc/pip.conf"),
    HERE / "build-env" / "npmrc": Path("/usr/local/etc/npmrc"),
}


class PodmanError(RuntimeError):
    """A podman command failed; the message ends with its output."""


@dataclass(frozen=True)
class Podman:
    """Runs podman with the tests' containers.conf."""

    log_dir: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "CONTAINERS_CONF": str(HERE / "containers.conf")}

    def run(
        self, *args: str, timeout_s: float = 600, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            ["podman", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if check and completed.returncode != 0:
            output = (completed.stdout + completed.stderr)[-4000:]
            raise PodmanError(f"podman {' '.join(args[:3])} ... failed:\n{output}")
        return completed

    def image_exists(self, reference: str) -> bool:
        return self.run("image", "exists", reference, check=False).returncode == 0

    def inspect_image(self, reference: str) -> dict:
        return json.loads(self.run("image", "inspect", reference).stdout)[0]

    def label(self, reference: str, name: str) -> str | None:
        if not self.image_exists(reference):
            return None
        labels = self.inspect_image(reference).get("Labels") or {}
        return labels.get(name)

    def build(
        self,
        context: Path,
        *,
        tag: str,
        dockerfile: Path | None = None,
        target: str | None = None,
        build_args: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
        timeout_s: float = 1800,
    ) -> float:
        """Build an image (docker format, so HEALTHCHECK is kept); returns the seconds taken.
        The full build log goes to `<log_dir>/build-<name>.log`."""
        command = ["build", "--network", "host", "--format", "docker", "--layers", "-t", tag]
        for source, target_path in BUILD_MOUNTS.items():
            command += ["-v", f"{source}:{target_path}:ro"]
        if dockerfile is not None:
            command += ["-f", str(dockerfile)]
        if target is not None:
            command += ["--target", target]
        for name, value in (build_args or {}).items():
            command += ["--build-arg", f"{name}={value}"]
        for name, value in (labels or {}).items():
            command += ["--label", f"{name}={value}"]
        command += extra_args or []
        command.append(str(context))
        log_path = self.log_dir / f"build-{tag.replace('/', '_').replace(':', '_')}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with open(log_path, "w") as log:
            completed = subprocess.run(
                ["podman", *command],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout_s,
                check=False,
            )
        if completed.returncode != 0:
            raise PodmanError(f"podman build of {tag} failed:\n{log_tail(log_path, 60)}")
        return time.monotonic() - started

    def image_size(self, reference: str) -> int:
        return int(self.inspect_image(reference)["Size"])


@dataclass
class PodmanService:
    """`podman system service` on a unix socket: the Docker API that docker-compose drives."""

    podman: Podman
    socket_path: Path
    process: ManagedProcess | None = None

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self, timeout_s: float = 30) -> PodmanService:
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        self.process = start_process(
            ["podman", "system", "service", "--time=0", self.docker_host],
            self.podman.log_dir / "podman-service.log",
            env=self.podman.env(),
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.socket_path.exists():
                return self
            time.sleep(0.2)
        self.stop()
        raise PodmanError(f"podman system service did not open {self.socket_path}")

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process.pid)
            self.process = None
