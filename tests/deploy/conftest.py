"""Make the deploy tests' helpers importable: `manifests.py` (rendered kustomize output),
`network_policy.py` (the NetworkPolicy evaluator) beside this file, `dagster_chart_keys.py`
in helm/, and `tfconfig.py` of tests/terraform (terraform's values the manifests must
agree with). The suite runs with
`--import-mode=importlib`, which puts no test folder on sys.path."""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for folder in (_HERE, _HERE / "helm", _HERE.parent / "terraform"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
