"""The Bento is complete: every third-party module its code imports is a declared package,
pinned to the version in uv.lock, and every file of ours it imports is included."""

from __future__ import annotations

import ast
import fnmatch
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import yaml
from served_model import REPO_ROOT

BENTOFILE = yaml.safe_load((REPO_ROOT / "bentos" / "bentofile.yaml").read_text())
OURS = {"bentos", "models", "core", "api", "orchestration", "quantis"}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> dict[str, str]:
    pins = {}
    for requirement in BENTOFILE["python"]["packages"]:
        name, _, version = requirement.partition("==")
        assert version, f"{requirement!r} is not pinned with =="
        pins[_normalized(name)] = version
    return pins


def _lock_versions() -> dict[str, str]:
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    return {_normalized(p["name"]): p["version"] for p in lock["package"] if "version" in p}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _included(relative: str) -> bool:
    return any(
        fnmatch.fnmatch("/" + relative, pattern.replace("**/", "*"))
        or fnmatch.fnmatch("/" + relative, pattern)
        for pattern in BENTOFILE["include"]
    )


def _bento_files() -> list[Path]:
    """bentos/ and models/, plus every module of ours they import (core's settings)."""
    excluded = {REPO_ROOT / pattern.lstrip("/") for pattern in BENTOFILE.get("exclude", [])}
    files = [
        *sorted((REPO_ROOT / "bentos").glob("*.py")),
        *sorted(set(REPO_ROOT.glob("models/**/*.py")) - excluded),
    ]
    seen = set(files)
    for path in files:  # grows while it is walked: the closure of our own imports
        for name in _imports(path):
            if name.split(".")[0] not in OURS:
                continue
            module = REPO_ROOT / Path(*name.split("."))
            for candidate in (module.with_suffix(".py"), module / "__init__.py"):
                if candidate.is_file() and candidate not in seen:
                    seen.add(candidate)
                    files.append(candidate)
    return files


def test_every_third_party_import_is_a_declared_package():
    declared = _declared()
    providers = importlib.metadata.packages_distributions()
    missing = {}
    for path in _bento_files():
        for name in _imports(path):
            top = name.split(".")[0]
            if top in OURS or top in sys.stdlib_module_names or top == "__future__":
                continue
            distributions = {_normalized(d) for d in providers.get(top, [top])}
            if not distributions & set(declared):
                missing.setdefault(top, []).append(str(path.relative_to(REPO_ROOT)))
    assert missing == {}, f"imported but not in bentofile.yaml's packages: {missing}"


def test_every_declared_package_is_pinned_to_the_lock():
    lock = _lock_versions()
    wrong = {
        name: (version, lock.get(name)) for name, version in _declared().items()
        if lock.get(name) != version
    }  # fmt: skip
    assert wrong == {}, "bentofile.yaml pin -> uv.lock version"


def test_every_file_of_ours_the_bento_imports_is_included():
    missing = [
        str(path.relative_to(REPO_ROOT))
        for path in _bento_files()
        if not _included(str(path.relative_to(REPO_ROOT)))
    ]
    assert missing == []
    # The settings read config/*.yaml, and the image's build reads the lock.
    for needed in ("config/base.yaml", "uv.lock", "pyproject.toml"):
        assert _included(needed), needed


def test_the_completeness_check_would_catch_a_missing_package(tmp_path):
    # The import scan sees imports inside functions too (as bentos/inference.py has).
    module = tmp_path / "late.py"
    module.write_text("def f():\n    import lightgbm.basic\n    from sklearn import base\n")
    assert _imports(module) == {"lightgbm.basic", "sklearn"}
