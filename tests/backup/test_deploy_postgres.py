"""The PostgreSQL WAL-archiving manifests are valid and their archive scripts are safe."""

from __future__ import annotations

import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "postgres"
K8S_VERSION = "1.37.0"


def _load(name: str) -> dict:
    return yaml.safe_load((DEPLOY / name).read_text())


@pytest.mark.parametrize("name", ["wal-archiving-configmap.yaml", "base-backup-cronjob.yaml"])
def test_manifests_validate_against_kubernetes_schemas(name):
    kubernetes_validate.validate(_load(name), K8S_VERSION, strict=True)


def test_statefulset_patch_turns_on_archiving_with_the_configmap_script():
    patch = _load("statefulset-wal-archiving-patch.yaml")
    postgres = patch["spec"]["template"]["spec"]["containers"][0]
    settings = dict(arg.split("=", 1) for arg in postgres["args"] if arg != "-c")
    assert settings["archive_mode"] == "on" and settings["wal_level"] == "replica"
    assert "/etc/quantis-wal/archive-wal.sh %p %f" in settings["archive_command"]
    volumes = {v["name"]: v for v in patch["spec"]["template"]["spec"]["volumes"]}
    configmap = _load("wal-archiving-configmap.yaml")
    assert volumes["wal-scripts"]["configMap"]["name"] == configmap["metadata"]["name"]


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    folder = tmp_path / "scripts"
    folder.mkdir()
    for name, body in _load("wal-archiving-configmap.yaml")["data"].items():
        (folder / name).write_text(body)
    return folder


def _sh(script: Path, *args: str, archive: Path) -> subprocess.CompletedProcess[str]:
    environment = {"WAL_ARCHIVE_DIR": str(archive), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        ["/bin/sh", str(script), *args], env=environment, capture_output=True, text=True
    )


def test_archive_copies_once_accepts_a_retry_and_refuses_different_bytes(scripts, tmp_path):
    archive, segment = tmp_path / "archive", tmp_path / "000000010000000000000001"
    segment.write_bytes(b"wal bytes")
    archive_sh = scripts / "archive-wal.sh"

    assert _sh(archive_sh, str(segment), segment.name, archive=archive).returncode == 0
    assert (archive / "wal" / segment.name).read_bytes() == b"wal bytes"
    assert _sh(archive_sh, str(segment), segment.name, archive=archive).returncode == 0
    segment.write_bytes(b"other bytes")
    refused = _sh(archive_sh, str(segment), segment.name, archive=archive)
    assert refused.returncode != 0 and "different content" in refused.stderr
    assert (archive / "wal" / segment.name).read_bytes() == b"wal bytes"

    restored = tmp_path / "pg_wal" / "RECOVERYXLOG"
    restored.parent.mkdir()
    restore_sh = scripts / "restore-wal.sh"
    assert _sh(restore_sh, segment.name, str(restored), archive=archive).returncode == 0
    assert restored.read_bytes() == b"wal bytes"
    assert _sh(restore_sh, "000000010000000000000009", str(restored), archive=archive).returncode
