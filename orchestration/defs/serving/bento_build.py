"""Package a model directory as a BentoML model and build the model-server Bento around it.

Runs `bentoml` in a child process with its own `BENTOML_HOME`: BentoML reads its home once at
import, so a child process is the only way to honour the configured home inside a long-lived
Dagster process. `bentofile.yaml` sets `lock_packages: false`, so the build stays offline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BentoBuildError", "BentoIndex", "BuiltBento", "build_model_bento"]

REPO_ROOT = Path(__file__).resolve().parents[3]
BENTOFILE = REPO_ROOT / "bentos" / "bentofile.yaml"


class BentoBuildError(RuntimeError):
    """`bentoml build` (or the model import before it) failed; the message has its output."""


@dataclass(frozen=True)
class BuiltBento:
    """A Bento in the local store and the BentoML model inside it."""

    bento_tag: str
    model_tag: str


_IMPORT_MODEL = """
import json, shutil, sys
import bentoml
model_dir, name, labels = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with bentoml.models.create(name, labels=labels, metadata=labels) as model:
    shutil.copytree(model_dir, model.path, dirs_exist_ok=True)
print(json.dumps({"tag": str(model.tag)}))
"""


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise BentoBuildError(f"{what} failed (exit {result.returncode}):\n{tail}")
    return result.stdout


def bentoml_env(bentoml_home: Path) -> dict[str, str]:
    """Environment for a BentoML child process: our home, no telemetry."""
    return {
        **os.environ,
        "BENTOML_HOME": str(bentoml_home),
        "BENTOML_DO_NOT_TRACK": "true",
        "DO_NOT_TRACK": "true",
    }


def build_model_bento(
    model_dir: Path, *, model_name: str, labels: dict[str, str], bentoml_home: Path
) -> BuiltBento:
    """Import `model_dir` as BentoML model `model_name` and build the service Bento with it."""
    env = bentoml_env(bentoml_home)
    out = _run(
        [sys.executable, "-c", _IMPORT_MODEL, str(model_dir), model_name, json.dumps(labels)],
        env,
        "importing the model into the BentoML store",
    )
    model_tag = json.loads(out.strip().splitlines()[-1])["tag"]
    env["QUANTIS_BENTO_MODEL"] = model_tag
    bentoml = str(Path(sys.executable).with_name("bentoml"))
    out = _run(
        [bentoml, "build", "-f", str(BENTOFILE), "--output", "tag", str(REPO_ROOT)],
        env,
        "bentoml build",
    )
    bento_tag = out.strip().splitlines()[-1].removeprefix("__tag__:").strip()
    return BuiltBento(bento_tag=bento_tag, model_tag=model_tag)


class BentoIndex:
    """Which Bento was built for which registered model version, so a second run of the
    pipeline reuses the Bento instead of building an identical one."""

    def __init__(self, bentoml_home: Path):
        self.home = bentoml_home
        self.path = bentoml_home / "quantis_bentos.json"

    def _read(self) -> dict[str, dict[str, str]]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get(self, model_name: str, version: str) -> BuiltBento | None:
        entry = self._read().get(f"{model_name}/{version}")
        if entry is None:
            return None
        name, bento_version = entry["bento_tag"].split(":", 1)
        if not (self.home / "bentos" / name / bento_version).exists():
            return None  # the Bento was deleted from the store; build it again
        return BuiltBento(**entry)

    def put(self, model_name: str, version: str, built: BuiltBento) -> None:
        entries = self._read()
        entries[f"{model_name}/{version}"] = {
            "bento_tag": built.bento_tag,
            "model_tag": built.model_tag,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(entries, indent=2))
        temporary.replace(self.path)
