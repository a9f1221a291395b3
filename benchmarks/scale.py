"""Fit + forecast of the default model at scale: in one process, on a Dask LocalCluster, and
plain mlforecast + statsforecast with the same members, in one run.

For each size (`--series`, daily series x `--length` points, synthetic and seeded) the panel is
written once as a Parquet snapshot; then each way runs in a process of its own, so that its peak
memory (VmHWM) is its own:

- `in_process`: the default model (`models.default_forecaster`, LightGBM + ETS / Theta chosen
  by backtest, conformal intervals) reads the snapshot, fits and forecasts h=14 with 80/95%.
- `local_cluster`: the same model fitted with `models.cluster.fit_combined_on_cluster` on a
  `LocalCluster` of `--workers` single-threaded workers; the step's process never reads the
  panel (only the series ids): each worker reads its series' rows of the snapshot. The peak of
  the step's process and of each worker are reported; forecasts are compared with in-process.
- `plain`: mlforecast (LightGBM, the same features and rounds) and statsforecast (AutoETS and
  Theta on the same member window) fitted once and forecast: no selection backtest, no
  interval calibration; the floor of what the members cost.

    python benchmarks/scale.py --series 1000            # the first figure (shared machine)
    python benchmarks/scale.py --series 1000 10000 30000 --workers 2
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
started = time.perf_counter()
panel = pd.read_parquet(snapshot)
model = default_forecaster("D", 7, h).fit(panel)
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
snapshot, h = sys.argv[1], int(sys.argv[2])
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
engine = StatsForecast(models=[AutoETS(season_length=7), Theta(season_length=7)], freq="D",
                       n_jobs=1, fallback_model=SeasonalNaive(season_length=7))
statistical = engine.forecast(df=window, h=h, level=[80, 95])
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "peak_rss_mib": {_PEAK}}}))
"""


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, nargs="+", default=[1000])
    parser.add_argument("--length", type=int, default=730)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--parts-per-worker", type=int, default=2)
    parser.add_argument("--lightgbm", choices=["one_worker", "data_parallel"], default="one_worker")
    parser.add_argument("--name", default="scale")
    args = parser.parse_args()
    machine = machine_info()

    from models.datasets import synthetic_panel

    runs = []
    for n in args.series:
        with tempfile.TemporaryDirectory() as folder:
            snapshot = Path(folder) / "panel.parquet"
            synthetic_panel(n, args.length, "D", seed=0).to_parquet(snapshot, index=False)
            ours, remote = Path(folder) / "ours.parquet", Path(folder) / "remote.parquet"
            in_process = _child(IN_PROCESS, str(snapshot), str(HORIZON), str(ours))
            print(f"{n} series in process: {in_process}", flush=True)
            cluster = _child(
                LOCAL_CLUSTER,
                str(snapshot),
                str(HORIZON),
                str(remote),
                str(args.workers),
                str(args.workers * args.parts_per_worker),
                args.lightgbm,
            )
            print(f"{n} series local cluster: {cluster}", flush=True)
            plain = _child(PLAIN, str(snapshot), str(HORIZON))
            print(f"{n} series plain: {plain}", flush=True)
            cluster["max_abs_forecast_difference_vs_in_process"] = _max_difference(ours, remote)
        runs.append(
            {"series": n, "in_process": in_process, "local_cluster": cluster, "plain": plain}
        )

    lines = [
        f"Daily series x {args.length}, h={HORIZON}, 80/95% intervals; LocalCluster of "
        f"{args.workers} single-threaded workers ({args.workers * args.parts_per_worker} "
        f"parts, LightGBM {args.lightgbm}). Peak = VmHWM of the process.\n",
        "| series | way | seconds | step peak MiB | worker peaks MiB | members | max abs diff |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for way in ("in_process", "local_cluster", "plain"):
            r = run[way]
            lines.append(
                f"| {run['series']} | {way} | {r['seconds']:.1f} | {r['peak_rss_mib']:.0f} | "
                f"{', '.join(f'{p:.0f}' for p in r.get('worker_peak_rss_mib', [])) or '-'} | "
                f"{'+'.join(r.get('members', [])) or '-'} | "
                f"{r.get('max_abs_forecast_difference_vs_in_process', '-')} |"
            )
    payload = {
        "length": args.length,
        "horizon": HORIZON,
        "workers": args.workers,
        "parts": args.workers * args.parts_per_worker,
        "lightgbm": args.lightgbm,
        "runs": runs,
    }
    path = write_results(args.name, payload, "\n".join(lines), machine)
    print("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
