"""Running the frontend's npm scripts from tests: install Node packages when missing or stale.

`npm ci` runs only when `node_modules` is missing or was installed from another
`package-lock.json` (a stamp file in `node_modules` holds the lock file's hash).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["FRONTEND_DIR", "REPO_ROOT", "ensure_node_modules", "run_npm"]

REPO_ROOT = Path(__file__).resolve().parents[2]
FRONTEND_DIR = REPO_ROOT / "frontend"
_STAMP = FRONTEND_DIR / "node_modules" / ".quantis-lock-sha256"


def _lock_hash() -> str:
    return hashlib.sha256((FRONTEND_DIR / "package-lock.json").read_bytes()).hexdigest()


def run_npm(*args: str, timeout_s: float = 300, env: dict[str, str] | None = None) -> str:
    """Run `npm ARGS` in frontend/; its output, or an AssertionError carrying that output."""
    npm = shutil.which("npm")
    assert npm, "npm is not installed: install Node 20 and npm (see README)"
    completed = subprocess.run(
        [npm, *args],
        cwd=FRONTEND_DIR,
        env={**os.environ, "CI": "true", "NO_COLOR": "1", "FORCE_COLOR": "0", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"`npm {' '.join(args)}` failed:\n{output[-6000:]}"
    return output


def ensure_node_modules() -> None:
    """`npm ci` unless node_modules was installed from the current package-lock.json."""
    wanted = _lock_hash()
    if _STAMP.exists() and _STAMP.read_text().strip() == wanted:
        return
    run_npm("ci", "--no-audit", "--no-fund", timeout_s=600)
    _STAMP.write_text(wanted)
