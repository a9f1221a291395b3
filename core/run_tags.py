"""Run tags shared by whoever starts pipeline runs (the `quantis` command, the REST API, the
Dagster code location) and the instance configuration that limits them.

Every pipeline run carries `DATASET_TAG` with the name of the dataset it works on; the run
queue allows one run in progress per value of that tag (`dataset_concurrency_limit`), so two
runs never race on one dataset's registry entry and roll-out.
"""

from __future__ import annotations

from typing import Any

from core.datasets.config import DEFAULT_DATASET

__all__ = ["DATASET_TAG", "DEFAULT_DATASET", "dataset_concurrency_limit", "dataset_tags"]

DATASET_TAG = "quantis/dataset"


def dataset_tags(dataset: str = DEFAULT_DATASET) -> dict[str, str]:
    """The tags of a pipeline run on `dataset`."""
    if not dataset:
        raise ValueError("a pipeline run needs a dataset name")
    return {DATASET_TAG: dataset}


def dataset_concurrency_limit() -> dict[str, Any]:
    """One entry of Dagster's run tag concurrency limits: one run at a time per dataset."""
    return {"key": DATASET_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
