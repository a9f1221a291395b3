"""Fixtures of the web page's tests: installed Node packages, a fresh build, and a running
stack (real model server + real API serving the build) for the browser test.

The model server itself (`model_server`) is the session fixture of the root conftest.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# `npm_project.py` beside this file; the suite runs with `--import-mode=importlib`.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from npm_project import FRONTEND_DIR, ensure_node_modules, run_npm  # noqa: E402


@pytest.fixture(scope="session")
def node_modules() -> None:
    ensure_node_modules()


@pytest.fixture(scope="session")
def built_frontend(node_modules: None) -> Path:
    """frontend/dist built from the current sources (type check included)."""
    run_npm("run", "build")
    return FRONTEND_DIR / "dist"
