"""Fit + forecast of the default model at scale: in one process, on a Dask LocalCluster, and
plain mlforecast + statsforecast with the same members, in one run.

For each size (`--series`, daily series x `--length` points, synthetic and seeded) the panel is
written once as a Parquet snapshot; then each way runs in a process of its own, so that its peak
memory (VmHWM) is its own:

- `in_process`: the default model (`models.default_forecaster`, LightGBM + ETS / Theta chosen
  by backtest, conformal intervals) reads the snapshot, fits and forecasts h=14 with 80/95%.
- `in_process_every_series`: the same with `selection_series=None`: the member selection and
  interval calibration backtest every series (the default before it sampled 1,000).
- `in_process_ets_undamped`: the same with `ets_damped=None`: the ETS member's trend damped
  or not as AICc chooses (the default before it allowed damped trends only).
- `before`: the default model as it was before this engine's cost work: the selection
  backtesting every series and the ETS member choosing among every form (`ets_model="ZZZ"`,
  `ets_damped=None`; see `models.config.DEFAULT_ETS_MODEL` and `DEFAULT_ETS_DAMPED`).
- `local_cluster`: the same model fitted with `models.cluster.fit_combined_on_cluster` on a
  `LocalCluster` of `--workers` single-threaded workers; the step's process never reads the
  panel (only the series ids): each worker reads its series' rows of the snapshot. The peak of
  the step's process and of each worker are reported; forecasts are compared with in-process.
- `plain`: mlforecast (LightGBM, the same features and rounds) and statsforecast (AutoETS in
  the same model space and Theta on the same member window) fitted once and forecast: no
  selection backtest, no interval calibration; the floor of what the members cost.

Each series has 14 more points than `--length`, held out: every way's forecasts are scored on
them (mean MASE, coverage of the 80% interval), so speed is never bought with accuracy.

    python benchmarks/scale.py --series 1000            # the first figure (shared machine)
    python benchmarks/scale.py --series 1000 10000 30000 --workers 2
    python benchmarks/scale.py --series 3000 --ways in_process in_process_every_series
    python benchmarks/scale.py --series 10000 --ways in_process before
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks._machine import machine_info, write_results  # noqa: E402

HORIZON = 14

_PEAK = "int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) / 1024"

IN_PROCESS = f"""
import json, sys, time
import pandas as pd
from models.evaluation import default_forecaster
snapshot, h, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
overrides = json.loads(sys.argv[4])
started = time.perf_counter()
panel = pd.read_parquet(snapshot)
model = default_forecaster("D", 7, h, **overrides).fit(panel)
fit_s = time.perf_counter() - started
forecasts = model.predict(h, [80, 95])
seconds = time.perf_counter() - started
forecasts.to_parquet(out)
print(json.dumps({{"seconds": seconds, "fit_s": fit_s, "members": list(model.members_),
                  "peak_rss_mib": {_PEAK}}}))
"""

LOCAL_CLUSTER = f"""
import json, sys, time
from functools import partial
import pyarrow.parquet as pq
from distributed import Client, LocalCluster
from benchmarks.scale import read_series, worker_peak_mib
from models.cluster import SeriesPartitions, fit_combined_on_cluster
from models.evaluation import default_forecaster
snapshot, h, out, workers, parts, lightgbm = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
started = time.perf_counter()
cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                       dashboard_address=None, memory_limit=0)
client = Client(cluster)
cluster_s = time.perf_counter() - started
series = pq.read_table(snapshot, columns=["unique_id"]).column(0).unique().to_pylist()
panel = SeriesPartitions.read(client, partial(read_series, snapshot), series, parts)
model = fit_combined_on_cluster(default_forecaster("D", 7, h), panel, lightgbm=lightgbm)
fit_s = time.perf_counter() - started
forecasts = model.predict(h, [80, 95])
seconds = time.perf_counter() - started
forecasts.to_parquet(out)
workers_peak = sorted(client.run(worker_peak_mib).values())
client.close(); cluster.close()
print(json.dumps({{"seconds": seconds, "fit_s": fit_s, "cluster_start_s": cluster_s,
                  "members": list(model.members_), "peak_rss_mib": {_PEAK},
                  "worker_peak_rss_mib": workers_peak}}))
"""

PLAIN = f"""
import json, sys, time, warnings
import pandas as pd
from lightgbm import LGBMRegressor
from mlforecast import MLForecast
from mlforecast.lag_transforms import RollingMean
from mlforecast.target_transforms import Differences
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, SeasonalNaive, Theta
from models.config import default_config
snapshot, h, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cfg = default_config("D", 7, h)
started = time.perf_counter()
panel = pd.read_parquet(snapshot)
lag_transforms = {{}}
for lag, window in cfg.rolling_means:
    lag_transforms.setdefault(lag, []).append(RollingMean(window_size=window))
mlf = MLForecast(models={{"lgb": LGBMRegressor(**cfg.lgb_params, n_estimators=cfg.num_boost_round,
                                               n_jobs=cfg.num_threads)}},
                 freq="D", lags=list(cfg.lags), lag_transforms=lag_transforms,
                 date_features=list(cfg.date_features),
                 target_transforms=[Differences(list(cfg.differences))])
train = panel.groupby("unique_id", sort=False).tail(cfg.train_window + 60)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    mlf.fit(train)
    lightgbm = mlf.predict(h)
window = panel.groupby("unique_id", sort=False).tail(cfg.member_window)
engine = StatsForecast(models=[AutoETS(season_length=7, model=cfg.ets_model,
                                       damped=cfg.ets_damped),
                               Theta(season_length=7)], freq="D",
                       n_jobs=1, fallback_model=SeasonalNaive(season_length=7))
statistical = engine.forecast(df=window, h=h, level=[80, 95])
seconds = time.perf_counter() - started
lightgbm.merge(statistical, on=["unique_id", "ds"]).assign(
    yhat=lambda f: f[["lgb", "AutoETS", "Theta"]].mean(axis=1)
)[["unique_id", "ds", "yhat"]].to_parquet(out)
print(json.dumps({{"seconds": seconds, "peak_rss_mib": {_PEAK}}}))
"""
WAYS = (
    "in_process",
    "in_process_every_series",
    "in_process_ets_undamped",
    "before",
    "local_cluster",
    "plain",
)


def read_series(snapshot: str, series: list[str]):
    """On a worker: the rows of `series` in the snapshot (a local path here; the pipeline's
    reader goes through the object store)."""
    import pandas as pd

    return pd.read_parquet(snapshot, filters=[("unique_id", "in", series)])


def worker_peak_mib() -> float:
    return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024


def _child(code: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_WAIT_POLICY": "PASSIVE"}
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"a benchmark process failed\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _max_difference(a: Path, b: Path) -> float:
    import numpy as np
    import pandas as pd

    left, right = pd.read_parquet(a), pd.read_parquet(b)
    if not left[["unique_id", "ds"]].equals(right[["unique_id", "ds"]]):
        return float("inf")
    columns = left.columns.drop(["unique_id", "ds"])
    return float(np.max(np.abs(left[columns].to_numpy() - right[columns].to_numpy())))


def _holdout_scores(forecasts: Path, train, test) -> dict:
    """Mean MASE of the forecasts on the held-out points, and the 80% interval's coverage."""
    import pandas as pd

    from models.metrics import per_series_metrics

    predicted = pd.read_parquet(forecasts)
    scored = test.merge(predicted, on=["unique_id", "ds"], how="left", validate="one_to_one")
    if scored["yhat"].isna().any():
        raise SystemExit(f"{forecasts.name}: forecasts miss held-out points")
    scores = {
        "holdout_mase": float(per_series_metrics(scored, train, season_length=7)["mase"].mean())
    }
    if "yhat_lo_80" in scored:
        inside = scored["y"].between(scored["yhat_lo_80"], scored["yhat_hi_80"])
        scores["holdout_coverage_80"] = float(inside.mean())
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, nargs="+", default=[1000])
    parser.add_argument("--length", type=int, default=730)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--parts-per-worker", type=int, default=2)
    parser.add_argument("--lightgbm", choices=["one_worker", "data_parallel"], default="one_worker")
    parser.add_argument("--ways", nargs="+", choices=WAYS, default=list(WAYS))
    parser.add_argument("--name", default="scale")
    args = parser.parse_args()
    machine = machine_info()

    from models.datasets import synthetic_panel

    runs = []
    for n in args.series:
        run: dict = {"series": n}
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            snapshot = folder / "panel.parquet"
            panel = synthetic_panel(n, args.length + HORIZON, "D", seed=0)
            position = panel.groupby("unique_id", sort=False).cumcount()
            train, test = panel[position < args.length], panel[position >= args.length]
            train.to_parquet(snapshot, index=False)
            commands = {
                "in_process": (IN_PROCESS, "{}"),
                "in_process_every_series": (IN_PROCESS, '{"selection_series": null}'),
                "in_process_ets_undamped": (IN_PROCESS, '{"ets_damped": null}'),
                "before": (
                    IN_PROCESS,
                    '{"selection_series": null, "ets_model": "ZZZ", "ets_damped": null}',
                ),
                "local_cluster": (
                    LOCAL_CLUSTER,
                    str(args.workers),
                    str(args.workers * args.parts_per_worker),
                    args.lightgbm,
                ),
                "plain": (PLAIN,),
            }
            for way in args.ways:
                code, *extra = commands[way]
                out = folder / f"{way}.parquet"
                run[way] = _child(code, str(snapshot), str(HORIZON), str(out), *extra)
                run[way].update(_holdout_scores(out, train, test))
                print(f"{n} series {way}: {run[way]}", flush=True)
            if "in_process" in run and "local_cluster" in run:
                run["local_cluster"]["max_abs_forecast_difference_vs_in_process"] = _max_difference(
                    folder / "in_process.parquet", folder / "local_cluster.parquet"
                )
        runs.append(run)

    lines = [
        f"Daily series x {args.length}, h={HORIZON}, 80/95% intervals; LocalCluster of "
        f"{args.workers} single-threaded workers ({args.workers * args.parts_per_worker} "
        f"parts, LightGBM {args.lightgbm}). Peak = VmHWM of the process.\n",
        "| series | way | seconds | fit s | step peak MiB | worker peaks MiB | members | "
        "holdout MASE | cov 80 | max abs diff |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for way in (w for w in WAYS if w in run):
            r = run[way]
            cells = [
                run["series"],
                way,
                f"{r['seconds']:.1f}",
                f"{r['fit_s']:.1f}" if "fit_s" in r else "-",
                f"{r['peak_rss_mib']:.0f}",
                ", ".join(f"{p:.0f}" for p in r.get("worker_peak_rss_mib", [])) or "-",
                "+".join(r.get("members", [])) or "-",
                f"{r['holdout_mase']:.4f}",
                f"{r['holdout_coverage_80']:.3f}" if "holdout_coverage_80" in r else "-",
                r.get("max_abs_forecast_difference_vs_in_process", "-"),
            ]
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    payload = {
        "length": args.length,
        "horizon": HORIZON,
        "workers": args.workers,
        "parts": args.workers * args.parts_per_worker,
        "lightgbm": args.lightgbm,
        "ways": args.ways,
        "runs": runs,
    }
    path = write_results(args.name, payload, "\n".join(lines), machine)
    print("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
