"""Fixtures of the web page's tests: installed Node packages, a fresh build, and a running
stack (real model server + real API serving the build) for the browser test.

The model-server helpers are shared with `tests/api` and `tests/bentos` (`served_model.py`
in tests/bentos, put on sys.path because the suite runs with `--import-mode=importlib`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
for folder in (_HERE, _HERE.parent / "bentos"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from npm_project import FRONTEND_DIR, ensure_node_modules, run_npm  # noqa: E402
from served_model import RunningModelServer, build_tiny_model_dir  # noqa: E402


@pytest.fixture(scope="session")
def node_modules() -> None:
    ensure_node_modules()


@pytest.fixture(scope="session")
def built_frontend(node_modules: None) -> Path:
    """frontend/dist built from the current sources (type check included)."""
    run_npm("run", "build")
    return FRONTEND_DIR / "dist"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model_dir(tmp_path_factory.mktemp("tiny-model") / "model")


@pytest.fixture(scope="session")
def model_server(
    tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningModelServer]:
    server = RunningModelServer(tiny_model_dir, tmp_path_factory.mktemp("model-server-logs"))
    server.start()
    yield server
    server.stop()
