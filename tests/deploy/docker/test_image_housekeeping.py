"""Housekeeping after the builds: pruning replaced images never fails the container tests."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from images import IMAGES, prune_replaced_images, stages_copied_from
from podman import Podman, PodmanError

HELD = (
    "Error: image used by 38f3b5d3db31: image is in use by a container: consider listing "
    "external containers and force-removing image\n"
)


@dataclass(frozen=True)
class ScriptedPodman(Podman):
    """Answers every command with one exit status and stderr, keeps the commands, and raises
    as the real one does when asked to check."""

    returncode: int = 0
    stderr: str = ""
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def run(self, *args: str, timeout_s: float = 600, check: bool = True):
        self.calls.append(args)
        if check and self.returncode != 0:
            raise PodmanError(f"podman {' '.join(args[:3])} ... failed:\n{self.stderr}")
        return subprocess.CompletedProcess(["podman", *args], self.returncode, "", self.stderr)


def test_a_prune_refused_for_an_image_held_by_a_container_is_logged_not_raised(tmp_path: Path):
    podman = ScriptedPodman(log_dir=tmp_path / "logs", returncode=125, stderr=HELD)

    with pytest.warns(UserWarning, match="image is in use by a container"):
        prune_replaced_images(podman)

    assert podman.calls == [("image", "prune", "--force")]
    assert (tmp_path / "logs" / "image-prune.log").read_text() == HELD


def test_a_prune_that_succeeds_leaves_no_log(tmp_path: Path, recwarn: pytest.WarningsRecorder):
    podman = ScriptedPodman(log_dir=tmp_path / "logs")

    prune_replaced_images(podman)

    assert podman.calls == [("image", "prune", "--force")]
    assert not (tmp_path / "logs").exists()
    assert not recwarn.list


def test_the_stages_each_image_copies_out_of_are_the_dependency_builds():
    copied = {spec.dockerfile.parent.name: stages_copied_from(spec.dockerfile) for spec in IMAGES}
    assert copied == {
        "api": ["app"],
        "dagster": ["app"],
        "mlflow": ["build"],
        "frontend": ["build"],
        "model-server": ["build"],
    }


def test_a_copy_from_an_image_reference_is_not_a_stage(tmp_path: Path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM docker.io/library/python:3.11 AS deps\nRUN true\n"
        "FROM docker.io/library/python:3.11\n"
        "COPY --from=docker.io/library/busybox:1 /bin/sh /bin/sh\n"
        "COPY --chown=1:1 --from=deps /opt /opt\n"
    )
    assert stages_copied_from(dockerfile) == ["deps"]
