"""A monitored stack shared by the tests of this folder (it takes a minute to start)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# `monitored_stack.py`, `promql_names.py` and `monitoring_files.py` live beside this file; importlib mode puts no test folder on sys.path.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from monitored_stack import MonitoredStack  # noqa: E402


@pytest.fixture(scope="module")
def monitored_stack(
    tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MonitoredStack]:
    stack = MonitoredStack(tmp_path_factory.mktemp("monitored"), tiny_model_dir)
    try:
        yield stack.start()
    finally:
        stack.stop()
