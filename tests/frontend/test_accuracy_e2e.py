"""The accuracy views in headless Chromium against the real API and model server: the models
page shows the champion's live accuracy next to its backtest, the series page each forecast
against what happened. Screenshots land in `test-artifacts/screenshots/` (`accuracy-*`)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from accuracy_seed import WEEK, seed_live_accuracy
from browser_stack import RunningApi, SeededData, api_environment, seed_database, seed_registry
from npm_project import FRONTEND_DIR, REPO_ROOT

from core.db.engine import make_engine, session_scope
from core.db.repositories.live_accuracy import version_summary
from core.settings import Settings, load_settings

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
N_SERIES, HISTORY_LENGTH = 6, 120
BACKTEST_MASE = 0.82


@pytest.fixture
def seeded(stack_settings: Settings, tmp_path: Path) -> SeededData:
    data = seed_database(stack_settings, N_SERIES, HISTORY_LENGTH)
    seed_registry(stack_settings, tmp_path / "mlflow-artifacts", [BACKTEST_MASE], naive_mase=1.0)
    assert len(seed_live_accuracy(stack_settings)) == WEEK
    return data


@pytest.fixture
def api(stack_settings, seeded, built_frontend: Path, tmp_path: Path) -> Iterator[str]:
    environment = api_environment(stack_settings, built_frontend, tmp_path / "no-secrets")
    server = RunningApi(environment, tmp_path / "logs").start()
    yield server.url
    server.stop()


@pytest.mark.slow
def test_accuracy_views(api, seeded, stack_settings, browser, tmp_path):
    engine = make_engine(stack_settings.database_url)
    with session_scope(engine) as session:
        summary = version_summary(session, "1", model_name=stack_settings.registered_model_name)
    engine.dispose()
    env = {
        **os.environ,
        "QUANTIS_CHROMIUM": browser,
        "QUANTIS_E2E_BASE_URL": api,
        "QUANTIS_E2E_READ_KEY": seeded.read_key,
        "QUANTIS_E2E_SERIES": seeded.series_name,
        "QUANTIS_E2E_LIVE_MASE": f"{summary['mase']:.3f}",
        "QUANTIS_E2E_BACKTEST_MASE": str(BACKTEST_MASE),
        "QUANTIS_E2E_POINTS": str(summary["points"]),
        "QUANTIS_E2E_SCREENSHOTS": str(SCREENSHOTS),
    }
    completed = subprocess.run(
        ["node", "e2e/accuracy.mjs"], cwd=FRONTEND_DIR, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    output = completed.stdout + completed.stderr
    logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in (tmp_path / "logs").glob("*.log"))
    assert completed.returncode == 0, f"{output}\n--- API log ---\n{logs}"
    assert "0 failed" in output
    taken = {p.stem for p in SCREENSHOTS.glob("accuracy-*.png")}
    assert taken >= {"accuracy-models-champion", "accuracy-series-outcomes"}
