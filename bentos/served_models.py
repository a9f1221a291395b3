"""The models one model-server process serves: one per dataset, each swapped on its own.

Many datasets share one process (docs/datasets.md, "What is served"): the `default` dataset's
champion is loaded as before (`bentos.model_source`), every other dataset's from
`<model_artifacts_dir>/<registered_model_name>-<dataset>/<version>/` (the versions in the
setting `served_dataset_versions`, and later `POST /load_model`).

A swap loads the new model fully first (in a worker thread: the other datasets' requests keep
being answered meanwhile) and only then replaces that dataset's entry; the requests already
queued for the old model are answered by it, then its batcher stops and it is freed. No other
dataset's entry is touched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bentos.batching import ForecastBatcher
from bentos.model_source import ModelSourceError, version_dir
from core.datasets import DEFAULT_DATASET
from core.mlflow_names import registered_model_name
from models.artifact import MANIFEST_NAME, ModelManifest

__all__ = [
    "DatasetNotServedError",
    "ServedModel",
    "ServedModels",
    "dataset_model_dir",
    "initial_datasets",
    "model_labels",
]


class DatasetNotServedError(LookupError):
    """No model is served for the dataset a request names (the server answers 404)."""


def model_labels(dataset: str, manifest: ModelManifest) -> dict[str, str]:
    """The metric labels of `dataset`'s served model (`bentos.metrics` declares the names)."""
    return {"dataset": dataset, "model_name": manifest.name, "model_version": manifest.version}


@dataclass(frozen=True)
class ServedModel:
    """One dataset's loaded model, its identity and its request batcher."""

    dataset: str
    forecaster: Any
    manifest: ModelManifest
    source: str
    batcher: ForecastBatcher

    @property
    def labels(self) -> dict[str, str]:
        return model_labels(self.dataset, self.manifest)


def dataset_model_dir(
    artifacts_dir: Path | None, base_name: str, dataset: str, version: str
) -> Path:
    """The folder of `dataset`'s registered `version` on the model artifacts volume; raises
    `ModelSourceError` naming what is missing."""
    if artifacts_dir is None:
        raise ModelSourceError(
            f"dataset {dataset!r}: version {version} is to be served but model_artifacts_dir "
            "is not set (QUANTIS_MODEL_ARTIFACTS_DIR)"
        )
    name = registered_model_name(base_name, dataset)
    target = version_dir(artifacts_dir, name, version)
    if not (target / MANIFEST_NAME).is_file():
        raise ModelSourceError(
            f"dataset {dataset!r}: {artifacts_dir} has no version {version} of {name} (expected "
            f"{target}/{MANIFEST_NAME}); fetch it first with `python -m bentos.fetch_model "
            f"--dataset {dataset} --version {version}`"
        )
    return target


Loader = Callable[[Path], tuple[Any, ModelManifest]]
BatcherFactory = Callable[[Any, dict[str, str]], ForecastBatcher]


class ServedModels:
    """Dataset name -> `ServedModel`. Reads take no lock (a dict lookup); `load` serialises
    swaps of the same process, never readers."""

    def __init__(self, load: Loader, make_batcher: BatcherFactory) -> None:
        self._load = load
        self._make_batcher = make_batcher
        self._models: dict[str, ServedModel] = {}
        self._swap = threading.Lock()

    def get(self, dataset: str) -> ServedModel:
        try:
            return self._models[dataset]
        except KeyError:
            served = ", ".join(sorted(self._models)) or "none"
            raise DatasetNotServedError(
                f"no model is served for dataset {dataset!r} (served: {served}); a dataset's "
                "champion is served once its pipeline has rolled it out"
            ) from None

    def snapshot(self) -> Mapping[str, ServedModel]:
        return dict(self._models)

    def load(
        self, dataset: str, directory: Path, source: str
    ) -> tuple[ServedModel, ServedModel | None]:
        """Load `directory` fully, then make it `dataset`'s model; returns (new, replaced).
        A model that does not load raises and leaves the served one in place."""
        forecaster, manifest = self._load(directory)
        labels = model_labels(dataset, manifest)
        served = ServedModel(
            dataset=dataset,
            forecaster=forecaster,
            manifest=manifest,
            source=source,
            batcher=self._make_batcher(forecaster, labels),
        )
        with self._swap:
            replaced = self._models.get(dataset)
            models = dict(self._models)
            models[dataset] = served
            self._models = models  # one reference assignment: readers see old or new, whole
        return served, replaced


def initial_datasets(
    default_dir: Path, default_source: str, settings: Any
) -> dict[str, tuple[Path, str]]:
    """What a starting server loads: the `default` dataset's model and each dataset of the
    setting `served_dataset_versions` (raises `ModelSourceError` for a missing one: the
    roll-out asked for it, so nothing is served in its place)."""
    chosen = {DEFAULT_DATASET: (default_dir, default_source)}
    for dataset, version in sorted(settings.served_dataset_versions.items()):
        if dataset == DEFAULT_DATASET:
            raise ModelSourceError(
                "served_dataset_versions names the `default` dataset: its version is the "
                "setting served_model_version (or the model baked into the Bento)"
            )
        directory = dataset_model_dir(
            settings.model_artifacts_dir, settings.registered_model_name, dataset, str(version)
        )
        chosen[dataset] = (directory, str(directory))
    return chosen
