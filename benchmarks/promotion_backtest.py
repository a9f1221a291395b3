"""The promotion backtest alone: member fits reused against every model refit at every window.

`backtest_report` compares the new model, the current champion and seasonal naive on the
same rolling-origin windows (`compare_methods`, 2 windows of the default horizon). This
times exactly that on the Tourism quarterly series the demo pipeline trains on, in one
invocation, in two situations:

- `first run`: no champion yet (the challenger and seasonal naive);
- `with a champion`: every later run. The champion is the default configuration (what the
  previous run promoted); like the pipeline, the backtest refits the champion's
  configuration at every window.

Each is run with the member fits reused (`ForecastCache`, seeded with the training fit's
selection-backtest forecasts as `trained_model` hands them to `backtest_report`) and with
the old path (`QUANTIS_BACKTEST_REUSE_FITS=false`: every model refit at every window).
Both paths must give the same scores; the file records whether they did. The training fit
itself is not timed. Writes benchmarks/results/promotion_backtest.{json,md}.

    .venv/bin/python benchmarks/promotion_backtest.py [--name promotion_backtest] [--jobs N]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N_WINDOWS = 2  # the pipeline's default (`BacktestConfig.n_windows`)


def _same_scores(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[m].keys() == b[m].keys()
        and all(math.isclose(a[m][k], b[m][k], rel_tol=1e-9, abs_tol=1e-12) for k in a[m])
        for m in a
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--name", default="promotion_backtest")
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes for the statistical members (default: the train_jobs setting)",
    )
    args = parser.parse_args()

    from benchmarks._machine import machine_info, write_results
    from core.runtime import apply_offline_defaults
    from core.settings import get_settings

    apply_offline_defaults()
    jobs = args.jobs or get_settings().train_jobs
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from models.artifact import fresh_copy
    from models.backtest import ForecastCache
    from models.baselines import SeasonalNaiveForecaster
    from models.datasets import load_tourism
    from models.evaluation import default_forecaster
    from models.validation import infer_freq, season_length_for, validate_panel
    from orchestration.defs.training.assets import default_horizon
    from orchestration.defs.training.comparison import (
        comparable_panel,
        compare_methods,
        required_history,
    )
    from quantis.demo_data import DEMO_DATASETS

    DEMO_DATASET = DEMO_DATASETS[0].group  # the default dataset's Tourism group

    machine = machine_info()
    train, _ = load_tourism(DEMO_DATASET)
    panel = validate_panel(train)
    freq = infer_freq(panel)
    season = season_length_for(freq)
    h = default_horizon(season)
    print(f"{DEMO_DATASET}: {panel['unique_id'].nunique()} series, freq {freq}, h {h}", flush=True)

    started = time.perf_counter()
    training = ForecastCache()
    challenger = default_forecaster(freq, season, h, n_jobs=jobs).fit(panel, forecast=training)
    fit_seconds = time.perf_counter() - started
    handed_on = training.local_frame()  # what `trained_model` writes for `backtest_report`
    print(f"training fit {fit_seconds:.1f}s ({training.fits} member fits)", flush=True)

    makers_first = {
        "challenger": lambda: fresh_copy(challenger, n_jobs=jobs),
        "seasonal_naive": lambda: SeasonalNaiveForecaster(freq, season),
    }
    champion = default_forecaster(freq, season, h)  # the configuration the last run promoted
    makers_champion = {**makers_first, "champion": lambda: fresh_copy(champion, n_jobs=jobs)}
    runs: dict[str, dict] = {}
    for situation, makers in (("first run", makers_first), ("with a champion", makers_champion)):
        min_train = required_history(make() for make in makers.values())
        compared = comparable_panel(panel, h=h, n_windows=N_WINDOWS, step=h, min_train=min_train)
        for path in ("reuse fits", "refit (old path)"):
            cache = None
            if path == "reuse fits":
                cache = ForecastCache()
                cache.add_local(handed_on)
            started = time.perf_counter()
            results = compare_methods(
                makers, compared, h=h, n_windows=N_WINDOWS, step=h, season_length=season,
                cache=cache,
            )  # fmt: skip
            seconds = time.perf_counter() - started
            runs[f"{situation} / {path}"] = {
                "seconds": round(seconds, 1),
                "member_fits": cache.fits if cache is not None else None,
                "reused": cache.reused if cache is not None else None,
                "results": results,
            }
            print(f"{situation} / {path}: {seconds:.1f}s", flush=True)

    summary = {}
    for situation in ("first run", "with a champion"):
        reuse, old = runs[f"{situation} / reuse fits"], runs[f"{situation} / refit (old path)"]
        summary[situation] = {
            "share_of_old_path": round(reuse["seconds"] / old["seconds"], 3),
            "third_or_less_met": reuse["seconds"] <= old["seconds"] / 3,
            "same_scores": _same_scores(reuse["results"], old["results"]),
        }
    lines = [
        "| situation / path | seconds | member fits | reused |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {label} | {run['seconds']} | {run['member_fits'] or '-'} | {run['reused'] or '-'} |"
            for label, run in runs.items()
        ),
    ]
    table = (
        f"Tourism {DEMO_DATASET}: {panel['unique_id'].nunique()} series, h={h}, "
        f"{N_WINDOWS} windows; {jobs} worker process(es) for the statistical members; "
        f"training fit (untimed here) {fit_seconds:.1f} s.\n\n"
        + "\n".join(lines)
        + "\n\nReuse against the old path: "
        + ", ".join(f"{s}: {v}" for s, v in summary.items())
    )
    payload = {
        "dataset": f"tourism {DEMO_DATASET}",
        "training_fit_seconds": round(fit_seconds, 1),
        "jobs": jobs,
        "runs": runs,
        "summary": summary,
    }
    print(write_results(args.name, payload, table, machine))
    print(table)


if __name__ == "__main__":
    main()
