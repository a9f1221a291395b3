"""Packaging a model as a Bento in one child process, and moving Bentos between stores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from models import LightGBMForecaster
from models.artifact import ModelManifest, save_model_dir
from models.datasets import synthetic_panel
from orchestration.defs.serving.bento_build import (
    archive_format,
    bento_in_store,
    bentoml_env,
    build_model_bento,
    import_bento,
)

pytestmark = pytest.mark.slow


def _model_dir(tmp_path: Path) -> Path:
    panel = synthetic_panel(3, 48, "MS", seed=1)
    model = LightGBMForecaster.from_defaults(
        "MS", 12, 3, num_boost_round=5, interval_windows=0
    ).fit(panel)
    directory = tmp_path / "model"
    save_model_dir(model, directory, ModelManifest("LightGBMForecaster", "MS", 12, 3, name="m"))
    return directory


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("bento")
    home, archive = tmp_path / "build", tmp_path / "out" / "m.bento"
    bento = build_model_bento(
        _model_dir(tmp_path), model_name="m", labels={"registered_version": "3"},
        bentoml_home=home, archive=archive,
    )  # fmt: skip
    return bento, home, archive


def test_the_build_exports_a_gzip_archive_that_imports_into_another_store(built, tmp_path):
    bento, home, archive = built
    assert bento_in_store(bento.bento_tag, home)
    assert bento.model_tag.startswith("m:")
    assert archive_format(archive) == "gz"
    served = tmp_path / "served"
    import_bento(archive, served)
    assert bento_in_store(bento.bento_tag, served)
    # the model travels inside the Bento, with the labels the build gave it
    [model_yaml] = (served / "models" / "m").glob("*/model.yaml")
    assert "registered_version: '3'" in model_yaml.read_text()


def test_an_archive_bentoml_exported_by_default_xz_still_imports(built, tmp_path):
    bento, home, _ = built
    older = tmp_path / "older.bento"
    bentoml = str(Path(sys.executable).with_name("bentoml"))
    subprocess.run(
        [bentoml, "export", bento.bento_tag, str(older)],
        env=bentoml_env(home), check=True, capture_output=True,
    )  # fmt: skip
    assert archive_format(older) == "xz"  # `bentoml export`'s own default
    served = tmp_path / "served"
    import_bento(older, served)
    assert bento_in_store(bento.bento_tag, served)


def test_a_file_that_is_no_archive_is_a_clear_error(tmp_path):
    bogus = tmp_path / "x.bento"
    bogus.write_bytes(b"PK\x03\x04 not a tarball")
    with pytest.raises(ValueError, match="not an exported Bento"):
        archive_format(bogus)
