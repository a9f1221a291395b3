"""Make `fake_kube_api.py` (the recorded Kubernetes API server) importable by the roll-out
tests; the suite runs with `--import-mode=importlib`, which puts no test folder on sys.path."""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
