"""Settings reach orchestration/, bentos/ and api/ one way: injected. No module of theirs
reads the settings or a `QUANTIS_*` environment variable when it is imported.

Every module of the three packages is imported in a fresh interpreter in which reading the
settings (`get_settings`, `load_settings`, a `Settings(...)`) and reading a `QUANTIS_*`
variable raise. A module that reads them at import would freeze them for the whole process
(a test's or a step's own settings would be ignored) and fails here, named.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("orchestration", "bentos", "api")

# Run in the child: guards first, then every module of the packages named in argv.
_PROBE = r"""
import importlib, json, os, pkgutil, sys, traceback

class ReadAtImport(RuntimeError):
    pass

# Our code reading one QUANTIS_* variable raises, present or not (`os.environ[...]`, `.get`,
# `in`, `os.getenv`); a library copying the whole environment at its import reads no variable
# of ours by name and passes.
OURS = tuple(
    os.path.join(os.getcwd(), package) + os.sep
    for package in ("orchestration", "bentos", "api", "core", "models")
)

def read_by_our_code():
    frame = sys._getframe(2)
    while frame is not None and (
        frame.f_code.co_filename.startswith("<frozen")
        or frame.f_code.co_filename == os.__file__
        or frame.f_code.co_filename.endswith("_collections_abc.py")
    ):
        frame = frame.f_back
    return frame is not None and frame.f_code.co_filename.startswith(OURS)

class GuardedEnviron(type(os.environ)):
    def __getitem__(self, key):
        if isinstance(key, str) and key.startswith("QUANTIS_") and read_by_our_code():
            raise ReadAtImport(f"read the environment variable {key}")
        return super().__getitem__(key)

e = os.environ
os.environ = GuardedEnviron(e._data, e.encodekey, e.decodekey, e.encodevalue, e.decodevalue)

import core.settings

def refuse(*args, **kwargs):
    raise ReadAtImport("read the settings")

core.settings.get_settings = refuse
core.settings.load_settings = refuse
core.settings.Settings.__init__ = refuse

failures = {}
for package in sys.argv[1:]:
    root = importlib.import_module(package)
    names = [package] + [
        m.name for m in pkgutil.walk_packages(root.__path__, package + ".")
        if ".migrations" not in m.name
    ]
    for name in names:
        try:
            importlib.import_module(name)
        except BaseException:
            failures[name] = traceback.format_exc(limit=-3)
print(json.dumps(failures))
"""


def _import_all(packages: tuple[str, ...]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANTIS_")}
    # A variable of ours is present, so a module that walks the environment meets it too.
    env["QUANTIS_ENVIRONMENT"] = "development"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *packages],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_no_module_reads_settings_or_quantis_variables_at_import():
    failures = _import_all(PACKAGES)
    assert not failures, "\n\n".join(f"{name}:\n{trace}" for name, trace in failures.items())
