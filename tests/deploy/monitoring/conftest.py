"""A monitored stack shared by the tests of this folder (it takes a minute to start)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# `monitored_stack.py`, `promql_names.py` and `monitoring_files.py` live beside this file; importlib mode puts no test folder on sys.path.
# The API process comes from the browser tests' `browser_stack.py` (tests/frontend).
_HERE = Path(__file__).resolve().parent
for _folder in (_HERE, _HERE.parents[1] / "frontend"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

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
