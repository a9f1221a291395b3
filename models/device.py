"""Choosing where LightGBM trains: the CPU, or a GPU when LightGBM can use one."""

from __future__ import annotations

import logging

import lightgbm as lgb
import numpy as np

from models.config import DEVICES

__all__ = ["GPUUnavailableError", "gpu_available", "resolve_device"]

logger = logging.getLogger(__name__)


class GPUUnavailableError(RuntimeError):
    """`device='gpu'` was requested but this LightGBM build or machine cannot train on a GPU."""


def gpu_available() -> tuple[bool, str]:
    """Train one tree on a tiny matrix with `device_type='gpu'`; returns (usable, reason)."""
    rng = np.random.default_rng(0)
    features = rng.random((64, 2))
    data = lgb.Dataset(features, label=features[:, 0], params={"verbosity": -1})
    try:
        lgb.train({"device_type": "gpu", "verbosity": -1}, data, num_boost_round=1)
    except lgb.basic.LightGBMError as error:
        return False, str(error)
    return True, "ok"


def resolve_device(requested: str) -> str:
    """`cpu` or `gpu` for a requested `cpu` / `gpu` / `auto`.

    `auto` falls back to the CPU with a log line when no GPU is usable; `gpu` raises
    `GPUUnavailableError` instead.
    """
    if requested not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {requested!r}")
    if requested == "cpu":
        return "cpu"
    usable, reason = gpu_available()
    if usable:
        return "gpu"
    if requested == "gpu":
        raise GPUUnavailableError(
            f"device='gpu' was requested but LightGBM cannot train on a GPU here ({reason}); "
            "use device='cpu' or 'auto', or install a GPU-enabled LightGBM build"
        )
    logger.info("device=auto: no usable GPU for LightGBM (%s); training on the CPU", reason)
    return "cpu"
