"""database-statefulset archives its WAL with the scripts of the database-wal ConfigMap (the
PostgreSQL point-in-time-recovery set-up that lived in deploy/postgres/), and those scripts
are safe: a segment is archived once, a retry with the same bytes succeeds, different bytes
are refused, and restore brings a segment back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from manifests import render


def _postgres() -> dict:
    spec = render("dev").get("StatefulSet", "database-statefulset")["spec"]["template"]["spec"]
    return next(c for c in spec["containers"] if c["name"] == "postgres"), spec


def test_statefulset_turns_on_archiving_with_the_configmap_script():
    postgres, spec = _postgres()
    settings = dict(arg.split("=", 1) for arg in postgres["args"] if arg != "-c")
    assert settings["archive_mode"] == "on" and settings["wal_level"] == "replica"
    assert "/etc/quantis-wal/archive-wal.sh %p %f" in settings["archive_command"]
    assert int(settings["archive_timeout"]) <= 300  # the in-cluster database's RPO
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in postgres["volumeMounts"]}
    assert volumes["wal-scripts"]["configMap"]["name"] == "database-wal"
    assert mounts["wal-scripts"] == "/etc/quantis-wal" and mounts["wal-archive"] == "/wal-archive"
    sync = next(c for c in spec["containers"] if c["name"] == "wal-sync")
    assert {m["name"] for m in sync["volumeMounts"]} >= {"wal-scripts", "wal-archive"}


def test_base_backups_go_to_the_archive_volume_of_the_database_pod():
    cronjob = render("dev").get("CronJob", "database-base-backup")
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [claim] = [v for v in pod["volumes"] if "persistentVolumeClaim" in v]
    statefulset = render("dev").get("StatefulSet", "database-statefulset")
    templates = {t["metadata"]["name"] for t in statefulset["spec"]["volumeClaimTemplates"]}
    assert "wal-archive" in templates
    # The claim a StatefulSet's first pod gets: <template>-<statefulset>-0.
    assert claim["persistentVolumeClaim"]["claimName"] == "wal-archive-database-statefulset-0"
    affinity = pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    labels = statefulset["spec"]["template"]["metadata"]["labels"]
    assert affinity[0]["labelSelector"]["matchLabels"].items() <= labels.items()


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    folder = tmp_path / "scripts"
    folder.mkdir()
    for name, body in render("dev").configmap("database-wal").items():
        if name.endswith(".sh"):
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


def test_sync_touches_its_heartbeat_only_after_a_sync_that_succeeded(scripts, tmp_path):
    """The sidecar's probes read the heartbeat; a failing `aws s3 sync` must not refresh it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    heartbeat = tmp_path / "last-sync"
    for outcome, code in (("fails", 1), ("works", 0)):
        (bin_dir / "aws").write_text(f"#!/bin/sh\nexit {code}\n")
        (bin_dir / "aws").chmod(0o755)
        # One loop round: `sleep` is replaced by a command that ends the script (SIGKILL: a
        # shell that inherited SIGTERM ignored cannot be ended otherwise).
        (bin_dir / "sleep").write_text("#!/bin/sh\nkill -KILL $PPID\n")
        (bin_dir / "sleep").chmod(0o755)
        subprocess.run(
            ["/bin/sh", str(scripts / "sync-to-s3.sh")],
            env={"PATH": f"{bin_dir}:/usr/bin:/bin", "WAL_ARCHIVE_S3_URL": "s3://b/postgres",
                 "WAL_ARCHIVE_DIR": str(tmp_path), "WAL_SYNC_HEARTBEAT": str(heartbeat)},
            capture_output=True, timeout=30, check=False,
        )  # fmt: skip
        assert heartbeat.exists() == (outcome == "works"), outcome
