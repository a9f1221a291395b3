"""Where a model came from: the code version that trained it."""

from __future__ import annotations

import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from core.processes import default_stop_signals

__all__ = ["code_version"]

REPO_ROOT = Path(__file__).resolve().parents[3]


def code_version() -> str:
    """The git commit of the checkout (with `-dirty` when it has changes), else the package
    version: enough to find the exact code that trained a model."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5,
            preexec_fn=default_stop_signals,
        )  # fmt: skip
        if sha.returncode == 0:
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=5,
                preexec_fn=default_stop_signals,
            )
            suffix = "-dirty" if dirty.stdout.strip() else ""
            return sha.stdout.strip() + suffix
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return f"quantis=={version('quantis')}"
    except PackageNotFoundError:
        return "unknown"
