"""The web page in headless Chromium against the real API and model server.

The browser script (`frontend/e2e/run.mjs`) loads the overview, pages and searches series,
opens one, checks the chart and its 80/95 interval bands, requests a forecast and its
explanation (the served LightGBM model's feature-group bars), uploads a CSV
with a bad row and reads the row error, promotes a model with an admin key and sees its feature importance, switches to a
second dataset and sees its series and model (then back), runs a what-if on a series of the
covariate dataset (the served covariate model: a promotion switched on for some horizon dates;
both forecasts charted, the total difference shown as the API stored it and as the forecasts
API implies it) and explains that series (a bar for the promotion covariate), and is refused
promotion with a read key. Screenshots of each page land in `test-artifacts/screenshots/`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_stack import (
    CovariateSeries,
    RunningApi,
    SeededData,
    api_environment,
    seed_covariate_dataset,
    seed_database,
    seed_dataset,
    seed_registry,
    served_importance,
)
from npm_project import FRONTEND_DIR, REPO_ROOT

from core.settings import Settings

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
# More series than one page of the list (25), so paging is exercised.
N_SERIES, HISTORY_LENGTH = 30, 150
# A second dataset, a few series: the page switches to it and back.
OTHER_DATASET, OTHER_SERIES = "stores", 3
# The artifacts a reviewer looks at: one screenshot of each page and state the issue names.
PAGES_SHOWN = {
    "01-settings-admin-key",
    "02-overview",
    "03-series-list",
    "04-series-forecast",
    "04b-series-explanation",
    "06-series-csv-row-error",
    "08-models-promoted",
    "10-models-refused-read-key",
    "11-tablet-series",
    "12-other-dataset-series",
    "13-series-what-if",
}
# The what-if: a promotion switched on for the first days of the covariate series' horizon.
WHAT_IF_DAYS = 3


@pytest.fixture
def seeded(stack_settings: Settings, tiny_model_dir: Path, tmp_path: Path) -> SeededData:
    data = seed_database(stack_settings, N_SERIES, HISTORY_LENGTH)
    seed_registry(
        stack_settings,
        tmp_path / "mlflow-artifacts",
        mase=[0.82, 0.74],
        naive_mase=1.0,
        importance=served_importance(tiny_model_dir),
    )
    return data


@pytest.fixture
def other_dataset(stack_settings: Settings, seeded: SeededData, tmp_path: Path) -> list[str]:
    """The second dataset's series names; its registered model has one version, champion."""
    names = seed_dataset(stack_settings, OTHER_DATASET, OTHER_SERIES, HISTORY_LENGTH)
    artifacts = tmp_path / "mlflow-artifacts"
    seed_registry(stack_settings, artifacts, mase=[0.9], naive_mase=1.0, dataset=OTHER_DATASET)
    return names


@pytest.fixture
def covariate_series(stack_settings: Settings, seeded: SeededData) -> CovariateSeries:
    """A series of the covariate dataset the model server serves a covariate model for (no
    registry records needed: the scenario and explanation calls go to the model server)."""
    return seed_covariate_dataset(stack_settings)


@pytest.fixture
def api(
    stack_settings: Settings, seeded: SeededData, built_frontend: Path, tmp_path: Path
) -> Iterator[str]:
    environment = api_environment(stack_settings, built_frontend, tmp_path / "no-secrets")
    server = RunningApi(environment, tmp_path / "logs").start()
    yield server.url
    server.stop()


@pytest.mark.slow
def test_web_page_end_to_end(
    api: str,
    seeded: SeededData,
    other_dataset: list[str],
    covariate_series: CovariateSeries,
    browser: str,
    tmp_path: Path,
):
    what_if_days = covariate_series.horizon_dates[:WHAT_IF_DAYS]
    # none has a promotion stored, so switching it on changes each of them
    assert set(what_if_days) <= set(covariate_series.promo_off)
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    env = {
        **os.environ,
        "QUANTIS_CHROMIUM": browser,
        "QUANTIS_E2E_BASE_URL": api,
        "QUANTIS_E2E_ADMIN_KEY": seeded.admin_key,
        "QUANTIS_E2E_READ_KEY": seeded.read_key,
        "QUANTIS_E2E_SERIES_COUNT": str(seeded.series_count),
        "QUANTIS_E2E_SERIES": seeded.series_name,
        "QUANTIS_E2E_NEXT_TS": seeded.next_timestamp,
        "QUANTIS_E2E_NEXT_VALUE": str(seeded.last_value),
        "QUANTIS_E2E_SCREENSHOTS": str(SCREENSHOTS),
        "QUANTIS_E2E_OTHER_DATASET": OTHER_DATASET,
        "QUANTIS_E2E_OTHER_SERIES": ",".join(other_dataset),
        "QUANTIS_E2E_WHAT_IF_DATASET": covariate_series.dataset,
        "QUANTIS_E2E_WHAT_IF_SERIES_ID": str(covariate_series.series_id),
        "QUANTIS_E2E_WHAT_IF_FROM": what_if_days[0],
        "QUANTIS_E2E_WHAT_IF_TO": what_if_days[-1],
    }
    completed = subprocess.run(
        ["node", "e2e/run.mjs"],
        cwd=FRONTEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = completed.stdout + completed.stderr
    logs = "\n".join(
        p.read_text(errors="replace")[-3000:] for p in (tmp_path / "logs").glob("*.log")
    )
    assert completed.returncode == 0, f"{output}\n--- API log ---\n{logs}"
    assert "0 failed" in output
    taken = {p.stem for p in SCREENSHOTS.glob("*.png")}
    assert taken >= PAGES_SHOWN, f"missing screenshots: {sorted(PAGES_SHOWN - taken)}"
