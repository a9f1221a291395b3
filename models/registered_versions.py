"""Registered model versions on disk: `<artifacts_dir>/<registered_model_name>/<version>/`,
and their fetch from MLflow into that folder.

- Idempotent: a version that is already there is left alone (nothing downloaded).
- Atomic: the download goes into a hidden temporary folder beside the target, is checked
  (manifest present, model loads), stamped with its registered name and version, and only
  then renamed into place. A failed or interrupted fetch leaves no version folder behind.

The model server's init container (`python -m bentos.fetch_model`) and the local deploy target
(a dataset's roll-out) both fetch through here.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from models.artifact import MANIFEST_NAME, load_model_dir, read_manifest, write_manifest

__all__ = ["FetchError", "FetchedModel", "UnsafeFolderName", "fetch_model_version", "version_dir"]

# Registered model names and versions become folder names: nothing that could leave the dir.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class UnsafeFolderName(ValueError):
    """A registered model name or version that cannot name a folder."""


def version_dir(artifacts_dir: Path, model_name: str, version: str) -> Path:
    """`<artifacts_dir>/<model_name>/<version>`, refusing names that are not plain folder names."""
    for label, value in (("registered model name", model_name), ("model version", version)):
        if not _SAFE_NAME.match(value) or value in (".", ".."):
            raise UnsafeFolderName(f"{label} {value!r} cannot name a folder")
    return artifacts_dir / model_name / version


class FetchError(RuntimeError):
    """The version could not be fetched; nothing was left in the artifacts folder."""


@dataclass(frozen=True)
class FetchedModel:
    path: Path
    downloaded: bool  # False: the version was already there


def _download(tracking_uri: str, model_name: str, version: str, destination: Path) -> Path:
    import mlflow
    from mlflow.exceptions import MlflowException

    uri = f"models:/{model_name}/{version}"
    # The registry lives with the tracking server here; both are given explicitly so that no
    # process-wide MLflow URI decides where the version is looked up.
    client = mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    try:
        source = client.get_model_version_download_uri(model_name, version)
        mlflow.artifacts.download_artifacts(
            artifact_uri=source, dst_path=str(destination), tracking_uri=tracking_uri
        )
    except MlflowException as error:
        raise FetchError(f"MLflow at {tracking_uri} cannot give {uri}: {error.message}") from error
    manifests = sorted(destination.rglob(MANIFEST_NAME))
    if len(manifests) != 1:
        raise FetchError(
            f"{uri} holds {len(manifests)} Quantis model folders ({MANIFEST_NAME}); expected one"
        )
    return manifests[0].parent


def fetch_model_version(
    tracking_uri: str, model_name: str, version: str, artifacts_dir: Path
) -> FetchedModel:
    """Download `models:/<model_name>/<version>` into the artifacts folder unless it is there."""
    try:
        target = version_dir(artifacts_dir, model_name, version)
    except UnsafeFolderName as error:
        raise FetchError(str(error)) from error
    if (target / MANIFEST_NAME).is_file():
        return FetchedModel(target, downloaded=False)
    if target.exists():
        raise FetchError(f"{target} exists but holds no {MANIFEST_NAME}; remove it and fetch again")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".fetch-{version}-", dir=target.parent))
    try:
        model_dir = _download(tracking_uri, model_name, version, staging / "download")
        try:  # a model that does not load never reaches the volume
            manifest = read_manifest(model_dir)
            load_model_dir(model_dir)
        except (OSError, ValueError, TypeError) as error:
            raise FetchError(f"models:/{model_name}/{version} does not load: {error}") from error
        write_manifest(model_dir, replace(manifest, name=model_name, version=version))
        try:
            model_dir.rename(target)
        except OSError:
            if (target / MANIFEST_NAME).is_file():  # a concurrent fetch finished first
                return FetchedModel(target, downloaded=False)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return FetchedModel(target, downloaded=True)
