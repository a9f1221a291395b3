"""The tiny trained model, loaded in-process. The model-server fixtures (`tiny_model_dir`,
`model_server`) and `served_model.py` on sys.path come from the root `tests/conftest.py`."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir: Path):
    from models.artifact import load_model_dir

    model, _manifest = load_model_dir(tiny_model_dir)
    return model


@pytest.fixture(scope="session")
def covariate_model(covariate_model_dir: Path):
    from models.artifact import load_model_dir

    model, _manifest = load_model_dir(covariate_model_dir)
    return model
