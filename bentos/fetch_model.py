"""`python -m bentos.fetch_model`: put a registered model version from MLflow into the model
artifacts volume, as `<model_artifacts_dir>/<registered_model_name>/<version>/`.

The model-server Deployment's init container runs it (same image) before the server starts;
compose runs it as a one-shot service. Defaults come from the settings: the version from
`served_model_version`, the folder from `model_artifacts_dir`, MLflow from
`mlflow_tracking_uri` (S3 artifacts through `s3_endpoint_url` when set).

Idempotent and atomic: `models.registered_versions.fetch_model_version` does the fetch (a
version already there is left alone, exit 0).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core.datasets import DEFAULT_DATASET
from core.mlflow_names import registered_model_name
from core.settings import get_settings
from models.registered_versions import FetchedModel, FetchError, fetch_model_version

__all__ = ["FetchError", "FetchedModel", "fetch_model_version", "main"]


def _arguments(argv: list[str]) -> argparse.Namespace:
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="python -m bentos.fetch_model",
        description="Fetch a registered model version from MLflow into the model artifacts dir.",
    )
    parser.add_argument(
        "--version",
        default=None,
        help="default: served_model_version (with --dataset: that dataset's entry of "
        "served_dataset_versions)",
    )
    parser.add_argument("--name", default=settings.registered_model_name)
    parser.add_argument(
        "--dataset",
        default=None,
        help="fetch this dataset's registered model (<name>-<dataset>) instead; with "
        "--version, that version; without, the version served_dataset_versions gives it",
    )
    parser.add_argument(
        "--all-datasets",
        action="store_true",
        help="also fetch every version of served_dataset_versions (the init container does)",
    )
    parser.add_argument("--artifacts-dir", type=Path, default=settings.model_artifacts_dir)
    parser.add_argument("--tracking-uri", default=settings.mlflow_tracking_uri)
    arguments = parser.parse_args(argv)
    if settings.s3_endpoint_url:  # MLflow's S3 client reads its endpoint from here
        os.environ.setdefault("MLFLOW_S3_ENDPOINT_URL", settings.s3_endpoint_url)
    return arguments


def _wanted(arguments: argparse.Namespace) -> list[tuple[str, str]]:
    """(registered model name, version) of each version to fetch."""
    served = get_settings().served_dataset_versions
    if arguments.dataset and arguments.dataset != DEFAULT_DATASET:
        version = arguments.version or served.get(arguments.dataset)
        name = registered_model_name(arguments.name, arguments.dataset)
        return [(name, version)] if version else []
    version = arguments.version or get_settings().served_model_version
    wanted = [(arguments.name, version)] if version else []
    if arguments.all_datasets:
        wanted += [
            (registered_model_name(arguments.name, dataset), str(version))
            for dataset, version in sorted(served.items())
        ]
    return wanted


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    if arguments.dataset or arguments.all_datasets:
        return _fetch_each(arguments, _wanted(arguments))
    arguments.version = arguments.version or get_settings().served_model_version
    if not arguments.version:
        print("fetch_model: served_model_version is not set; the server serves its baked-in model")
        return 0
    if arguments.artifacts_dir is None:
        print("fetch_model: set QUANTIS_MODEL_ARTIFACTS_DIR (or --artifacts-dir)", file=sys.stderr)
        return 2
    try:
        fetched = fetch_model_version(
            arguments.tracking_uri, arguments.name, arguments.version, arguments.artifacts_dir
        )
    except FetchError as error:
        print(f"fetch_model: {error}", file=sys.stderr)
        return 1
    verb = "fetched" if fetched.downloaded else "already present:"
    print(f"fetch_model: {verb} {arguments.name} version {arguments.version} at {fetched.path}")
    return 0


def _fetch_each(arguments: argparse.Namespace, wanted: list[tuple[str, str]]) -> int:
    if not wanted:
        print("fetch_model: no version to fetch (none given, none in served_dataset_versions)")
        return 0
    if arguments.artifacts_dir is None:
        print("fetch_model: set QUANTIS_MODEL_ARTIFACTS_DIR (or --artifacts-dir)", file=sys.stderr)
        return 2
    failed = 0
    for name, version in wanted:
        try:
            fetched = fetch_model_version(
                arguments.tracking_uri, name, version, arguments.artifacts_dir
            )
        except FetchError as error:
            print(f"fetch_model: {error}", file=sys.stderr)
            failed += 1
            continue
        verb = "fetched" if fetched.downloaded else "already present:"
        print(f"fetch_model: {verb} {name} version {version} at {fetched.path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
