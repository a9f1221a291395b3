"""Make tests/terraform/tfconfig.py importable as `tfconfig` for the Terraform property tests.

The suite runs with `--import-mode=importlib`, which puts no test folder on sys.path; the
parsing helper is plain code shared by several test modules, not a fixture, so this folder
is added once here.
"""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
