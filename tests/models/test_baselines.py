"""Statistical baselines share the forecaster interface and output columns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from models.baselines import (
    BASELINES,
    ETSForecaster,
    SeasonalNaiveForecaster,
    StatisticalForecaster,
)


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_every_baseline_forecasts_with_intervals(name, monthly_panel):
    model = BASELINES[name]("MS", 12).fit(monthly_panel)
    forecasts = model.predict(4, levels=[80, 95])
    assert list(forecasts.columns) == [
        "unique_id", "ds", "yhat", "yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95",
    ]  # fmt: skip
    assert len(forecasts) == 4 * monthly_panel["unique_id"].nunique()
    assert (forecasts["yhat_lo_95"] <= forecasts["yhat_lo_80"]).all()
    assert (forecasts["yhat_hi_80"] <= forecasts["yhat_hi_95"]).all()


def test_seasonal_naive_repeats_the_last_season(monthly_panel):
    forecasts = SeasonalNaiveForecaster("MS", 12).fit(monthly_panel).predict(12)
    last_season = monthly_panel.groupby("unique_id").tail(12)
    assert np.allclose(forecasts["yhat"].to_numpy(), last_season["y"].to_numpy())


def test_history_update_and_persistence(tmp_path, monthly_panel):
    head = monthly_panel.groupby("unique_id").head(60)
    tail = monthly_panel.drop(index=head.index)
    model = ETSForecaster("MS", 12).fit(head)
    from_history = model.predict(3, history=monthly_panel)
    model.update(tail)
    pd.testing.assert_frame_equal(model.predict(3), from_history)
    model.save(tmp_path / "ets")
    restored = StatisticalForecaster.load(tmp_path / "ets")
    assert isinstance(restored, ETSForecaster)
    pd.testing.assert_frame_equal(restored.predict(3), from_history)


def test_predict_before_fit():
    with pytest.raises(RuntimeError, match="not fitted"):
        SeasonalNaiveForecaster("MS", 12).predict(3)


def test_max_history_estimates_on_the_last_points_only(tmp_path, monthly_panel):
    recent = monthly_panel.groupby("unique_id").tail(36)
    unlimited = ETSForecaster("MS", 12).fit(recent).predict(4, levels=[80])
    windowed = ETSForecaster("MS", 12, max_history=36).fit(monthly_panel)
    pd.testing.assert_frame_equal(windowed.predict(4, levels=[80]), unlimited)
    pd.testing.assert_frame_equal(
        windowed.predict(4, levels=[80], history=monthly_panel), unlimited
    )
    assert windowed.history_.groupby("unique_id").size().max() == 36  # only the window is kept
    windowed.save(tmp_path / "ets")
    assert StatisticalForecaster.load(tmp_path / "ets").max_history == 36
    with pytest.raises(ValueError, match="max_history"):
        ETSForecaster("MS", 12, max_history=0)


def _ets_forms(model: ETSForecaster) -> list[str]:
    """The ETS form AutoETS chose for every series, e.g. `ETS(M,N,M)`."""
    return [estimate.model.model_["method"] for estimate in model.estimates_.values()]


def test_the_ets_model_space_bounds_the_forms_chosen(tmp_path):
    from models.datasets import synthetic_panel

    panel = synthetic_panel(3, 60, "D", seed=1)
    every_form = ETSForecaster("D", 7).fit(panel)
    assert any(form.startswith("ETS(M") for form in _ets_forms(every_form))
    additive = ETSForecaster("D", 7, model="AZZ").fit(panel)
    assert all(form.startswith("ETS(A") for form in _ets_forms(additive))
    additive.save(tmp_path / "ets")
    restored = StatisticalForecaster.load(tmp_path / "ets")
    assert restored.model == "AZZ"
    pd.testing.assert_frame_equal(restored.predict(5, history=panel), additive.predict(5))
    # A model saved before the space was a setting estimated in every form.
    settings = tmp_path / "ets" / "baseline.json"
    older = json.loads(settings.read_text())
    del older["model"]
    settings.write_text(json.dumps(older))
    assert StatisticalForecaster.load(tmp_path / "ets").model == "ZZZ"
    with pytest.raises(ValueError, match="ets model must be three letters"):
        ETSForecaster("D", 7, model="XZZ")


def test_a_damped_ets_member_chooses_damped_trends_only(tmp_path):
    from models.datasets import synthetic_panel

    panel = synthetic_panel(6, 60, "D", seed=1)
    free = _ets_forms(ETSForecaster("D", 7, model="AZZ").fit(panel))
    assert any(",Ad," not in form for form in free), free  # AICc keeps some undamped
    damped = ETSForecaster("D", 7, model="AZZ", damped=True).fit(panel)
    assert all(form.startswith("ETS(A,Ad,") for form in _ets_forms(damped)), _ets_forms(damped)
    damped.save(tmp_path / "ets")
    restored = StatisticalForecaster.load(tmp_path / "ets")
    assert restored.damped is True
    pd.testing.assert_frame_equal(restored.predict(5, history=panel), damped.predict(5))
    # A model saved before damping was a setting let AICc choose.
    settings = tmp_path / "ets" / "baseline.json"
    older = json.loads(settings.read_text())
    del older["damped"]
    settings.write_text(json.dumps(older))
    assert StatisticalForecaster.load(tmp_path / "ets").damped is None
    with pytest.raises(ValueError, match="needs a trend"):
        ETSForecaster("D", 7, model="ANN", damped=True)


class _CountedPool:
    """Stands in for ProcessPoolExecutor in models.baselines and counts the pools made."""

    made: list[int] = []

    def __init__(self, max_workers, **kwargs):
        from concurrent.futures import ProcessPoolExecutor

        self.made.append(max_workers)
        self._pool = ProcessPoolExecutor(max_workers, **kwargs)

    def __enter__(self):
        return self._pool.__enter__()

    def __exit__(self, *exc):
        return self._pool.__exit__(*exc)


@pytest.mark.parametrize("name, options", [("ets", {}), ("ets", {"model": "AZZ"}), ("theta", {})])
def test_worker_processes_estimate_the_models_one_process_estimates(name, options, monkeypatch):
    """The series are split between worker processes at fit (each series is estimated on
    its own): the kept models forecast what those of one process do, seen or unseen."""
    from models import baselines
    from models.datasets import synthetic_panel

    monkeypatch.setattr(_CountedPool, "made", [])
    monkeypatch.setattr(baselines, "ProcessPoolExecutor", _CountedPool)
    panel = synthetic_panel(2 * baselines._MIN_SERIES_PER_JOB + 7, 40, "MS", seed=3)
    one = BASELINES[name]("MS", 12, max_history=30, **options).fit(panel)
    assert _CountedPool.made == []
    two = BASELINES[name]("MS", 12, n_jobs=2, max_history=30, **options).fit(panel)
    assert _CountedPool.made == [2]
    assert sorted(two.estimates_) == sorted(one.estimates_)
    if name == "ets":  # the workers estimate in the same space
        assert _ets_forms(two) == _ets_forms(one)
    pd.testing.assert_frame_equal(two.predict(6, levels=[80]), one.predict(6, levels=[80]))
    # Forecasting never starts workers, not even for series it must estimate afresh.
    unseen = panel.assign(unique_id=panel["unique_id"] + "-new")
    pd.testing.assert_frame_equal(two.predict(6, history=unseen), one.predict(6, history=unseen))
    assert two.reestimated_ == unseen["unique_id"].nunique()
    assert _CountedPool.made == [2]


def test_a_small_panel_is_estimated_in_this_process(monkeypatch):
    from models import baselines
    from models.datasets import synthetic_panel

    monkeypatch.setattr(_CountedPool, "made", [])
    monkeypatch.setattr(baselines, "ProcessPoolExecutor", _CountedPool)
    panel = synthetic_panel(baselines._MIN_SERIES_PER_JOB, 40, "MS", seed=3)
    ETSForecaster("MS", 12, n_jobs=2).fit(panel)
    assert _CountedPool.made == []  # workers would cost more than they save


def test_workers_start_with_default_stop_signals_whatever_the_parent_ignores():
    """A fit inside a Dagster run started from a script's background job: the process ignores
    SIGINT and (Dagster copies it) SIGTERM; its workers must not, or the pool cannot end them."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import signal\n"
        "from models.baselines import _worker_pool\n"
        "with _worker_pool(1) as pool:\n"
        "    print([pool.submit(signal.getsignal, s).result().name\n"
        "           for s in (signal.SIGTERM, signal.SIGINT)])\n"
    )

    def ignore_stop_signals() -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)

    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True, text=True, timeout=120, preexec_fn=ignore_stop_signals,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['SIG_DFL', 'SIG_DFL']", done.stdout
