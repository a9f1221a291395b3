"""Training throughput: our LightGBM forecaster vs plain mlforecast + LightGBM, side by side.

A seeded synthetic panel of daily series (default 10,000 x 730 points, plus 28 held-out points
per series to check that speed is not bought with accuracy) is fitted and forecast 28 days
ahead by:

- `plain`: `MLForecast(LGBMRegressor)` with the same features, target transforms, learning
  parameters and number of trees, but the library defaults (pandas features, float64,
  max_bin=255, every row of every series);
- `ours`: `LightGBMForecaster` with its defaults (float32 matrix into `lgb.train`, max_bin=63,
  trees learn from the last `train_window` points of each series: 350 for daily data),
  without interval calibration so both do the same work;
- `ours_full_history`: the same with `train_window=None`, to show what the window buys;
- `floor`: our feature matrix built once, then `lgb.train` timed alone: LightGBM's own share.

Each runs in its own subprocess so its peak memory (ru_maxrss) is its own. The subprocesses get
OMP_WAIT_POLICY (default PASSIVE): with the default spin-waiting, LightGBM's OpenMP threads
slow down several-fold when other work shares the cores, which swamps every other difference.
Writes benchmarks/results/training_throughput.{json,md}.

    .venv/bin/python benchmarks/training_throughput.py [--series 10000] [--length 730] [--trees 100]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HORIZON = 28
RUNS = ("plain", "ours", "ours_full_history", "floor")


def _config(trees: int, **overrides):
    from models.config import default_config

    return default_config("D", 7, HORIZON, num_boost_round=trees, interval_windows=0, **overrides)


def _panels(args):
    """The fitted panel (`length` points per series) and the next HORIZON points, held out."""
    from models.datasets import synthetic_panel

    panel = synthetic_panel(args.series, args.length + HORIZON, "D", seed=args.seed)
    position = panel.groupby("unique_id", sort=False).cumcount()
    return panel[position < args.length].reset_index(drop=True), panel[position >= args.length]


def _holdout_mase(forecasts, train, test) -> float:
    from models.metrics import per_series_metrics

    scored = test.merge(forecasts[["unique_id", "ds", "yhat"]], on=["unique_id", "ds"],
                        validate="one_to_one")  # fmt: skip
    if len(scored) != len(test):
        raise RuntimeError(f"forecasts cover {len(scored)} of {len(test)} held-out points")
    return float(per_series_metrics(scored, train, season_length=7)["mase"].mean())


def _run_plain(args) -> dict:
    import lightgbm as lgb
    from mlforecast import MLForecast

    from models.forecaster import LightGBMForecaster

    config = _config(args.trees)
    train, test = _panels(args)
    # Same features and transforms as ours, taken from our pipeline, with a stock regressor.
    template = LightGBMForecaster(config)._build(log_target=True, device="cpu")
    params = {k: v for k, v in config.lgb_params.items() if k not in ("max_bin", "force_col_wise")}
    regressor = lgb.LGBMRegressor(n_estimators=args.trees, n_jobs=config.num_threads, **params)
    mlf = MLForecast(
        models={"yhat": regressor},
        freq="D",
        lags=template.ts.lags,
        lag_transforms=template.ts.lag_transforms,
        date_features=template.ts.date_features,
        target_transforms=template.ts.target_transforms,
    )
    started = time.perf_counter()
    mlf.fit(train, dropna=False)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    forecasts = mlf.predict(HORIZON)
    return {"fit_seconds": fit_seconds, "predict_seconds": time.perf_counter() - started,
            "forecast_rows": len(forecasts), "holdout_mase": _holdout_mase(forecasts, train, test)}  # fmt: skip


def _run_ours(args, **overrides) -> dict:
    from models.forecaster import LightGBMForecaster

    train, test = _panels(args)
    model = LightGBMForecaster(_config(args.trees, **overrides))
    started = time.perf_counter()
    model.fit(train)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    forecasts = model.predict(HORIZON)
    return {"fit_seconds": fit_seconds, "predict_seconds": time.perf_counter() - started,
            "forecast_rows": len(forecasts), "holdout_mase": _holdout_mase(forecasts, train, test),
            "train_window": model.config.train_window}  # fmt: skip


def _run_floor(args) -> dict:
    import lightgbm as lgb

    from models.forecaster import LightGBMForecaster
    from models.validation import validate_panel

    config = _config(args.trees)
    model = LightGBMForecaster(config)
    train, _ = _panels(args)
    started = time.perf_counter()
    panel = validate_panel(train, freq="D")[["unique_id", "ds", "y"]]
    validate_seconds = time.perf_counter() - started
    model._mlf = model._build(log_target=True, device="cpu")
    started = time.perf_counter()
    features, target = model._training_matrix(panel)
    feature_seconds = time.perf_counter() - started
    params = {**config.lgb_params, "num_threads": config.num_threads}
    started = time.perf_counter()
    data = lgb.Dataset(features, label=target.astype("float32"), free_raw_data=True,
                       params={"max_bin": params["max_bin"], "verbosity": -1})  # fmt: skip
    lgb.train(params, data, num_boost_round=args.trees)
    return {"validate_seconds": validate_seconds, "feature_seconds": feature_seconds,
            "lgb_train_seconds": time.perf_counter() - started, "rows": len(target),
            "features": int(features.shape[1])}  # fmt: skip


def _worker(args) -> None:
    workers = {
        "plain": _run_plain,
        "ours": _run_ours,
        "ours_full_history": lambda a: _run_ours(a, train_window=None),
        "floor": _run_floor,
    }
    result = workers[args.worker](args)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)


def _spawn(name: str, args) -> dict:
    command = [sys.executable, __file__, "--worker", name, "--series", str(args.series),
               "--length", str(args.length), "--trees", str(args.trees), "--seed", str(args.seed)]  # fmt: skip
    started = time.perf_counter()
    env = {**os.environ, "OMP_WAIT_POLICY": args.omp_wait_policy}
    completed = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if completed.returncode != 0:
        raise RuntimeError(f"{name} run failed:\n{completed.stderr[-3000:]}")
    line = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["process_seconds"] = time.perf_counter() - started
    print(f"{name}: {result}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=730)
    parser.add_argument("--trees", type=int, default=100)  # LGBMRegressor default
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--omp-wait-policy", default="PASSIVE", choices=["PASSIVE", "ACTIVE"])
    parser.add_argument("--worker", choices=RUNS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return

    from benchmarks._machine import machine_info, write_results

    machine = machine_info()
    runs = {name: _spawn(name, args) for name in RUNS}
    plain, ours, floor = runs["plain"], runs["ours"], runs["floor"]
    full = runs["ours_full_history"]
    summary = {
        "fit_ratio_ours_to_plain": ours["fit_seconds"] / plain["fit_seconds"],
        "fit_ratio_ours_full_history_to_plain": full["fit_seconds"] / plain["fit_seconds"],
        "lgb_train_share_of_our_fit": floor["lgb_train_seconds"] / ours["fit_seconds"],
        "target_fit_ratio": 0.8,
    }

    def row(label: str, run: dict) -> str:
        return (f"| {label} | {run['fit_seconds']:.1f} | {run['predict_seconds']:.1f} | "
                f"{run['peak_rss_mib']:.0f} | {run['holdout_mase']:.3f} |")  # fmt: skip

    rows = [
        "| run | fit s | predict s | peak RSS MiB | hold-out MASE |",
        "| --- | ---: | ---: | ---: | ---: |",
        row("plain mlforecast + LGBMRegressor", plain),
        row(f"ours (LightGBMForecaster, train_window={ours['train_window']})", ours),
        row("ours, train_window=None (every row)", full),
        f"| floor: lgb.train on our matrix | {floor['lgb_train_seconds']:.1f} | - | "
        f"{floor['peak_rss_mib']:.0f} | - |",
        "",
        f"Fit ratio ours / plain: **{summary['fit_ratio_ours_to_plain']:.2f}** (target <= 0.8); "
        f"with every row: {summary['fit_ratio_ours_full_history_to_plain']:.2f}. "
        f"lgb.train alone is {100 * summary['lgb_train_share_of_our_fit']:.0f}% of our fit; "
        f"building the matrix {floor['feature_seconds']:.1f} s, validation "
        f"{floor['validate_seconds']:.1f} s. {args.series} series x {args.length} points, "
        f"{args.trees} trees, our matrix {floor['rows']} rows x {floor['features']} features. "
        f"Hold-out MASE: the {HORIZON} points after the fitted ones, mean over series.",
    ]
    settings = {"series": args.series, "length": args.length, "trees": args.trees,
                "horizon": HORIZON, "seed": args.seed, "omp_wait_policy": args.omp_wait_policy}  # fmt: skip
    path = write_results(
        "training_throughput", {"settings": settings, "runs": runs, "summary": summary},
        "\n".join(rows), machine,
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
