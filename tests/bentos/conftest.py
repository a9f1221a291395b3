"""A tiny trained model and one real model-server process for the whole session.

`served_model.py` (in this folder) is plain helper code shared with `tests/api`; this folder
is put on sys.path because the suite runs with `--import-mode=importlib`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from served_model import RunningModelServer, build_tiny_model_dir  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model_dir(tmp_path_factory.mktemp("tiny-model") / "model")


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir: Path):
    from models.artifact import load_model_dir

    model, _manifest = load_model_dir(tiny_model_dir)
    return model


@pytest.fixture(scope="session")
def model_server(
    tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningModelServer]:
    server = RunningModelServer(tiny_model_dir, tmp_path_factory.mktemp("model-server-logs"))
    server.start()
    yield server
    server.stop()
