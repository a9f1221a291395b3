"""An earlier commit's tree, to time it beside this checkout with the same environment."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def baseline_tree(revision: str, into: Path) -> Path:
    """The tracked files of `revision` (as a clean clone has them), `git archive`d under
    `into`; returns the tree's folder."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision], cwd=REPO, capture_output=True, check=True
    ).stdout
    archive_path = into / "baseline.tar"
    archive_path.write_bytes(archive)
    tree = into / "tree"
    with tarfile.open(archive_path) as tar:
        tar.extractall(tree, filter="data")
    return tree
