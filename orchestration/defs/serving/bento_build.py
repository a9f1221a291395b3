"""Package a model directory as a BentoML model, build the model-server Bento around it, and
move Bentos between BentoML stores through the object store.

Runs `bentoml` in a child process with its own `BENTOML_HOME`: BentoML reads its home once at
import, so a child process is the only way to honour the configured home inside a long-lived
Dagster process. `bentofile.yaml` sets `lock_packages: false`, so the build stays offline.

The packaging step builds in its own scratch store and exports the Bento (model included) to
the object store, as an image is pushed to a registry; the roll-out step imports it from
there into the store the model server runs from. `BentoCatalog` remembers which Bento serves
which registered version, so a second run reuses it instead of building an identical one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.processes import default_stop_signals
from core.storage import ObjectStore

__all__ = [
    "BentoBuild",
    "BentoBuildError",
    "BentoCatalog",
    "bento_in_store",
    "build_model_bento",
    "export_bento",
    "import_bento",
]

REPO_ROOT = Path(__file__).resolve().parents[3]
BENTOFILE = REPO_ROOT / "bentos" / "bentofile.yaml"


class BentoBuildError(RuntimeError):
    """`bentoml build` (or the model import before it) failed; the message has its output."""


@dataclass(frozen=True)
class BentoBuild:
    """A Bento in a BentoML store and the BentoML model inside it."""

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
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
        preexec_fn=default_stop_signals,
    )  # fmt: skip
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
) -> BentoBuild:
    """Import `model_dir` as BentoML model `model_name` and build the service Bento with it."""
    env = bentoml_env(bentoml_home)
    out = _run(
        [sys.executable, "-c", _IMPORT_MODEL, str(model_dir), model_name, json.dumps(labels)],
        env,
        "importing the model into the BentoML store",
    )
    model_tag = json.loads(out.strip().splitlines()[-1])["tag"]
    bentofile = _bentofile_with_model(model_tag, bentoml_home)
    out = _run(
        [_bentoml(), "build", "-f", str(bentofile), "--output", "tag", str(REPO_ROOT)],
        env,
        "bentoml build",
    )
    bento_tag = out.strip().splitlines()[-1].removeprefix("__tag__:").strip()
    return BentoBuild(bento_tag=bento_tag, model_tag=model_tag)


def _bentofile_with_model(model_tag: str, bentoml_home: Path) -> Path:
    """`bentofile.yaml` with `model_tag` among the Bento's models (the service declares
    none: which model a Bento carries is the build's choice, and the served Bento's store
    then holds that one model)."""
    build = yaml.safe_load(BENTOFILE.read_text())
    build["models"] = [model_tag]
    path = bentoml_home / "bentofiles" / f"{model_tag.replace(':', '-')}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(build, sort_keys=False))
    return path


def _bentoml() -> str:
    return str(Path(sys.executable).with_name("bentoml"))


def bento_in_store(bento_tag: str, bentoml_home: Path) -> bool:
    name, _, version = bento_tag.partition(":")
    return (bentoml_home / "bentos" / name / version / "bento.yaml").is_file()


def export_bento(bento_tag: str, bentoml_home: Path, archive: Path) -> Path:
    """`bentoml export` of `bento_tag` (its models included) into the file `archive`."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [_bentoml(), "export", bento_tag, str(archive)], bentoml_env(bentoml_home), "bentoml export"
    )
    return archive


def import_bento(archive: Path, bentoml_home: Path) -> None:
    """`bentoml import` of an exported Bento archive into the store at `bentoml_home`."""
    _run([_bentoml(), "import", str(archive)], bentoml_env(bentoml_home), "bentoml import")


class BentoCatalog:
    """Which exported Bento serves which registered model version, kept in the object store
    beside the archives: `bentos/<model>/<version>.json` points at `bentos/<model>/<version>/
    <bento>.bento`. An entry is written after its archive, so it never names a missing one."""

    def __init__(self, store: ObjectStore):
        self.store = store

    @staticmethod
    def entry_key(model_name: str, version: str) -> str:
        return f"bentos/{model_name}/{version}.json"

    @staticmethod
    def archive_key(model_name: str, version: str, bento_tag: str) -> str:
        return f"bentos/{model_name}/{version}/{bento_tag.replace(':', '-')}.bento"

    def get(self, model_name: str, version: str) -> tuple[BentoBuild, str] | None:
        """(the Bento, its archive key) recorded for `version`, if its archive still exists."""
        key = self.entry_key(model_name, version)
        if not self.store.exists(key):
            return None
        entry = json.loads(self.store.get_bytes(key))
        if not self.store.exists(entry["bento_key"]):
            return None  # the archive was deleted: build it again
        return BentoBuild(entry["bento_tag"], entry["model_tag"]), entry["bento_key"]

    def put(self, model_name: str, version: str, built: BentoBuild, archive: Path) -> str:
        """Upload `archive` and record it for `version`; returns the archive's key."""
        bento_key = self.archive_key(model_name, version, built.bento_tag)
        self.store.put_file(bento_key, archive)
        entry = {"bento_tag": built.bento_tag, "model_tag": built.model_tag, "bento_key": bento_key}
        self.store.put_bytes(self.entry_key(model_name, version), json.dumps(entry).encode())
        return bento_key
