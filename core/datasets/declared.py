"""Datasets declared in a YAML file (platform teams keep them in git), read and validated.

The file holds a `datasets:` list; each item is a dataset's configuration
(`core.datasets.config.DatasetConfig`). Every problem is reported at once, each with the
item's place and name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from core.datasets.config import DatasetConfig

__all__ = ["DatasetFileError", "declared_datasets", "default_datasets_file"]


class DatasetFileError(ValueError):
    """A datasets file that cannot be applied; the message lists every problem."""


def default_datasets_file(config_dir: Path) -> Path:
    """Where `quantis dataset apply` and `quantis up` look when no file is named."""
    return config_dir / "datasets.yaml"


def _problems(index: int, item: Any, error: ValidationError) -> list[str]:
    label = f"datasets[{index}]"
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        label += f" ({item['name']})"
    found = []
    for problem in error.errors(include_url=False):
        where = ".".join(str(part) for part in problem["loc"]) or "item"
        found.append(f"{label}: {where}: {problem['msg']}")
    return found


def declared_datasets(path: Path) -> list[DatasetConfig]:
    """The datasets `path` declares; `DatasetFileError` names every problem in it."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise DatasetFileError(f"{path}: cannot be read as YAML: {error}") from error
    if document is None:
        return []
    items = document.get("datasets") if isinstance(document, dict) else None
    if not isinstance(document, dict) or set(document) - {"datasets"}:
        raise DatasetFileError(f"{path}: expected one top-level key `datasets:` holding a list")
    if items is None:
        return []
    if not isinstance(items, list):
        raise DatasetFileError(f"{path}: `datasets:` must be a list, got {type(items).__name__}")
    configs, problems = [], []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"datasets[{index}]: expected a mapping, got {item!r}")
            continue
        try:
            configs.append(DatasetConfig(**item))
        except ValidationError as error:
            problems.extend(_problems(index, item, error))
    names = [item.get("name") for item in items if isinstance(item, dict)]
    repeated = sorted({str(name) for name in names if names.count(name) > 1})
    if repeated:
        problems.append(f"datasets named more than once: {repeated}")
    if problems:
        raise DatasetFileError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return configs
