"""Fixtures of the web page's tests: installed Node packages, a fresh build, and a running
stack (real model server + real API serving the build) for the browser test.

The model server itself (`model_server`) is the session fixture of the root conftest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# `npm_project.py` beside this file; the suite runs with `--import-mode=importlib`.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from npm_project import FRONTEND_DIR, REPO_ROOT, ensure_node_modules, run_npm  # noqa: E402

from core.settings import Settings, load_settings  # noqa: E402


@pytest.fixture(scope="session")
def node_modules() -> None:
    ensure_node_modules()


@pytest.fixture(scope="session")
def built_frontend(node_modules: None) -> Path:
    """frontend/dist built from the current sources (type check included)."""
    run_npm("run", "build")
    return FRONTEND_DIR / "dist"


@pytest.fixture
def browser() -> str:
    """Debian's Chromium, installed by scripts/ensure_browser.sh when missing."""
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "ensure_browser.sh")], check=True)
    return os.environ.get("QUANTIS_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def stack_settings(tmp_path: Path, model_server) -> Settings:
    """Settings of a browser test's stack: its own SQLite databases, the session's model
    server."""
    return load_settings(
        home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'quantis.db'}",
        model_server_url=model_server.url,
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        mlflow_artifact_root=str(tmp_path / "mlflow-artifacts"),
    )
