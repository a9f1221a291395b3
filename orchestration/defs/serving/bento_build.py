"""Package a model directory as a BentoML model, build the model-server Bento around it, and
move Bentos between BentoML stores through the object store.

Runs BentoML in a child process with its own `BENTOML_HOME`: BentoML reads its home once at
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

from core.processes import default_stop_signals
from core.storage import ObjectStore

__all__ = [
    "BentoBuild",
    "BentoBuildError",
    "BentoCatalog",
    "archive_format",
    "bento_in_store",
    "build_model_bento",
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


# One child process imports the model, builds the Bento and (given a path) exports it: each
# `bentoml` command is an interpreter start and BentoML's CLI import, a few seconds apiece.
# The Bento carries the model just imported: `bentofile.yaml` with it among `models` (the
# service declares none: which model a Bento carries is the build's choice, and the served
# Bento's store then holds that one model).
_BUILD = """
import json, pathlib, shutil, sys
import bentoml, yaml
model_dir, name, labels, bentofile, built_file, context, archive = sys.argv[1:8]
labels = json.loads(labels)
with bentoml.models.create(name, labels=labels, metadata=labels) as model:
    shutil.copytree(model_dir, model.path, dirs_exist_ok=True)
build = yaml.safe_load(pathlib.Path(bentofile).read_text())
build["models"] = [str(model.tag)]
pathlib.Path(built_file).write_text(yaml.safe_dump(build, sort_keys=False))
bento = bentoml.bentos.build_bentofile(built_file, build_ctx=context)
if archive:
    bentoml.bentos.export_bento(bento.tag, archive, output_format=sys.argv[8])
print(json.dumps({"model": str(model.tag), "bento": str(bento.tag)}))
"""

_IMPORT = """
import sys
import bentoml
bentoml.bentos.import_bento(sys.argv[1], input_format=sys.argv[2])
"""

# Archives are gzip tarballs: with `bentoml export`'s own default (xz) compressing took 2.9 s
# of the 4.7 s export of the demo model's Bento, for an archive 12% smaller (3.6 vs 4.1 MB).
# Imports tell the two apart by their first bytes, so archives exported as xz still import.
ARCHIVE_FORMAT = "gz"
_MAGIC = {b"\x1f\x8b": "gz", b"\xfd7zXZ\x00": "xz"}


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
    model_dir: Path,
    *,
    model_name: str,
    labels: dict[str, str],
    bentoml_home: Path,
    archive: Path | None = None,
) -> BentoBuild:
    """Import `model_dir` as BentoML model `model_name` and build the service Bento with it;
    with `archive`, also export the Bento (its model included) to that file, a gzip tarball
    (`ARCHIVE_FORMAT`). One child process does all of it."""
    env = bentoml_env(bentoml_home)
    built_file = bentoml_home / "bentofiles" / f"{model_name}.yaml"
    built_file.parent.mkdir(parents=True, exist_ok=True)
    if archive is not None:
        archive.parent.mkdir(parents=True, exist_ok=True)
    out = _run(
        [
            sys.executable, "-c", _BUILD, str(model_dir), model_name, json.dumps(labels),
            str(BENTOFILE), str(built_file), str(REPO_ROOT), str(archive or ""), ARCHIVE_FORMAT,
        ],
        env,
        "importing the model and building the Bento",
    )  # fmt: skip
    tags = json.loads(out.strip().splitlines()[-1])
    return BentoBuild(bento_tag=tags["bento"], model_tag=tags["model"])


def bento_in_store(bento_tag: str, bentoml_home: Path) -> bool:
    name, _, version = bento_tag.partition(":")
    return (bentoml_home / "bentos" / name / version / "bento.yaml").is_file()


def archive_format(archive: Path) -> str:
    """The compression of an exported Bento (`gz` or `xz`, the default of `bentoml
    export`), from its first bytes; a ValueError for anything else."""
    with open(archive, "rb") as file:
        head = file.read(6)
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    raise ValueError(f"{archive} is not an exported Bento (neither gzip nor xz)")


def import_bento(archive: Path, bentoml_home: Path) -> None:
    """Import an exported Bento archive (`build_model_bento`'s, or an older xz one) into the
    store at `bentoml_home`."""
    _run(
        [sys.executable, "-c", _IMPORT, str(archive), archive_format(archive)],
        bentoml_env(bentoml_home),
        "importing the Bento",
    )


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
