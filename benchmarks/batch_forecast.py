"""Batch forecasts at scale: the batch asset's work against plain mlforecast + statsforecast.

A seeded synthetic panel of daily series (default 10,000 x 730 points) is loaded into a
PostgreSQL database and the default (combined) model is fitted on it once, untimed. Then, each
in its own subprocess (so its peak memory, VmHWM, is its own), forecast h=28 with 80/95%
intervals:
- `ours`: what `batch_forecasts` does for one shard holding every series
  (`forecast_shard`): read the history from PostgreSQL, predict with the saved model (its
  statistical members filter the new observations through what training estimated), and
  store every forecast with COPY; the stored forecasts and points are counted afterwards;
- `plain`: the same model's fitted `MLForecast` `predict` on the same history plus a
  statsforecast `forecast` (AutoETS and Theta, the combined model's candidates) on each
  series' last `member_window` points, from a Parquet copy of the panel, storing nothing.

    .venv/bin/python benchmarks/batch_forecast.py [--series 10000] [--length 730] [--model-cache DIR] [--keep-database] [--prepare-only]

`--model-cache DIR` keeps the fitted model in DIR and, on a later run with the same panel
(series, length, seed), uses it instead of fitting again (the fit takes 26 to 47 minutes at
10,000 series here); `--keep-database` leaves the loaded database in place and, on a later
run with the same panel, reads from it instead of loading again (~11 minutes at 10,000
series), after deleting the forecasts the earlier run stored. Neither is timed. With both,
`--prepare-only` loads and fits, then stops, so that the timed runs can wait for a quiet
machine.

Peak memory is VmHWM (ru_maxrss would carry the parent's high-water mark across fork and exec);
`ours` also samples its resident memory every 20 ms, to tell which phase (read, predict,
store) sets the peak.
Needs PostgreSQL (QUANTIS_BENCH_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres);
a database `i15_batch_bench` is created and dropped. Writes benchmarks/results/batch_forecast.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._machine import machine_info, write_results

REPO = Path(__file__).resolve().parents[1]
HORIZON, LEVELS = 28, [80, 95]
DB_NAME = "i15_batch_bench"

_OURS = """
import json, resource, sys, threading, time
from core.db.engine import make_engine, session_scope
from models.artifact import load_model_dir
from orchestration.defs.forecasting.assets import BatchForecastPolicy, forecast_shard
from sqlalchemy import text
from pathlib import Path
url, model_dir, horizon = sys.argv[1], sys.argv[2], int(sys.argv[3])
started = time.perf_counter()
model, _ = load_model_dir(Path(model_dir))
load_s = time.perf_counter() - started
policy = BatchForecastPolicy(horizon=horizon, levels=[80, 95], history_points=730)
engine = make_engine(url)
samples, done = [], threading.Event()
def sample_rss():  # resident memory every 20 ms, to tell which phase sets the peak
    while not done.is_set():
        rss = open("/proc/self/status").read().split("VmRSS:")[1].split()[0]
        samples.append((time.perf_counter(), int(rss) / 1024))
        done.wait(0.02)
sampler = threading.Thread(target=sample_rss, daemon=True)
sampler.start()
started = time.perf_counter()
with session_scope(engine) as session:
    outcome = forecast_shard(session, model, shard=0, shards=1, policy=policy,
                             model_name="bench", model_version="1", request_id="batch:bench")
wall = time.perf_counter() - started
done.set()
sampler.join()
ends, phase_peaks, at = {}, {}, started
for phase in ("read_history_s", "predict_s", "store_s"):
    at += outcome.timings[phase]
    ends[phase] = at
for moment, rss in samples:
    phase = next((p for p, end in ends.items() if moment <= end), "store_s")
    phase_peaks[phase] = max(phase_peaks.get(phase, 0.0), rss)
with session_scope(engine) as session:
    stored = session.execute(text("SELECT count(*), coalesce(sum(jsonb_array_length(payload)), 0) "
                                  "FROM forecasts WHERE kind = 'batch'")).one()
members = {name: (m.filtered_, m.reestimated_) for name, m in model._models.items()
           if hasattr(m, "filtered_")}
print(json.dumps({"seconds": wall, "load_model_s": load_s, **outcome.timings,
                  "forecasts_stored": stored[0], "points_stored": stored[1],
                  "skipped": len(outcome.skipped), "members": list(model.members_),
                  "filtered_reestimated": members, "rss_peak_by_phase_mib": phase_peaks,
                  "rss_before_mib": samples[0][1] if samples else None,
                  "peak_rss_mib": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024}))
"""

_PLAIN = """
import json, resource, sys, time, warnings
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, SeasonalNaive, Theta
from models.artifact import load_model_dir
from pathlib import Path
panel_path, model_dir, horizon = sys.argv[1], sys.argv[2], int(sys.argv[3])
model, _ = load_model_dir(Path(model_dir))
mlf = model._models["lightgbm"]._mlf
cfg = model.config
started = time.perf_counter()
panel = pd.read_parquet(panel_path)
read_s = time.perf_counter() - started
started = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    lightgbm = mlf.predict(horizon, new_df=panel)
mlforecast_s = time.perf_counter() - started
started = time.perf_counter()
window = panel.groupby("unique_id", sort=False).tail(cfg.member_window)
engine = StatsForecast(models=[AutoETS(season_length=cfg.season_length),
                               Theta(season_length=cfg.season_length)], freq=cfg.freq, n_jobs=1,
                       fallback_model=SeasonalNaive(season_length=cfg.season_length))
statistical = engine.forecast(df=window, h=horizon, level=[80, 95])
statsforecast_s = time.perf_counter() - started
print(json.dumps({"seconds": read_s + mlforecast_s + statsforecast_s, "read_parquet_s": read_s,
                  "mlforecast_predict_s": mlforecast_s, "statsforecast_forecast_s": statsforecast_s,
                  "rows": len(lightgbm) + len(statistical),
                  "peak_rss_mib": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024}))
"""


def _phase_peaks(run: dict) -> str:
    peaks = run["rss_peak_by_phase_mib"]
    return " / ".join(
        f"{peaks.get(p, float('nan')):.0f}" for p in ("read_history_s", "predict_s", "store_s")
    )


def _child(code: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_WAIT_POLICY": "PASSIVE"}
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"a benchmark process failed\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _database(server_url: str) -> str:
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DB_NAME}"))
    admin.dispose()
    return make_url(server_url).set(database=DB_NAME).render_as_string(hide_password=False)


def _kept_database(server_url: str, key: dict) -> str | None:
    """The database an earlier `--keep-database` run loaded with the same panel, emptied of
    the forecasts that run stored; None when there is none."""
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(server_url)
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": DB_NAME}
        ).first()
    admin.dispose()
    if not exists:
        return None
    url = make_url(server_url).set(database=DB_NAME).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            marked = connection.execute(text("SELECT to_regclass('bench_panel')")).scalar()
            kept = marked and connection.execute(text("SELECT key FROM bench_panel")).scalar()
            if kept != json.dumps(key, sort_keys=True):
                return None  # another panel: the caller loads this one afresh
            connection.execute(text("DELETE FROM forecasts"))
    finally:
        engine.dispose()  # after the connection is back in the pool, so none stays open
    return url


def _mark_panel(url: str, key: dict) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_panel (key text NOT NULL)"))
        connection.execute(
            text("INSERT INTO bench_panel VALUES (:key)"), {"key": json.dumps(key, sort_keys=True)}
        )
    engine.dispose()


def _drop(server_url: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"))
    admin.dispose()


def _cached_model(cache: Path | None, key: dict) -> tuple[Path | None, float]:
    """The model an earlier run kept in `cache` for the same panel, and its fit time."""
    record = cache / "panel.json" if cache else None
    if record is None or not record.exists() or not (cache / "model").is_dir():
        return None, 0.0
    kept = json.loads(record.read_text())
    if kept["panel"] != key:
        raise SystemExit(f"{cache} holds a model of another panel ({kept['panel']}); use another")
    return cache / "model", kept["fit_seconds"]


def _remember_model(cache: Path | None, key: dict, fit_s: float) -> None:
    if cache is not None:
        (cache / "panel.json").write_text(json.dumps({"panel": key, "fit_seconds": fit_s}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=730)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model-cache", type=Path, help="keep or reuse the fitted model here")
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help=f"keep the loaded database {DB_NAME} and reuse it on a later run of the same panel",
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="load the database and fit the model (needs --model-cache and --keep-database), "
        "then stop: the timed runs come on a later run, on a quiet machine",
    )
    args = parser.parse_args()
    if args.prepare_only and (args.model_cache is None or not args.keep_database):
        parser.error("--prepare-only needs --model-cache and --keep-database (else it is lost)")
    if args.model_cache is not None:
        args.model_cache.mkdir(parents=True, exist_ok=True)
    machine = machine_info()

    from core.db.engine import make_engine, session_scope
    from core.db.migrate import upgrade
    from core.db.repositories.observations import upsert_panel
    from core.settings import get_settings
    from models.artifact import ModelManifest, save_model_dir
    from models.datasets import synthetic_panel
    from models.evaluation import default_forecaster

    server = os.environ.get(
        "QUANTIS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    panel = synthetic_panel(args.series, args.length, "D", seed=args.seed)
    key = {"series": args.series, "length": args.length, "seed": args.seed}
    url = _kept_database(server, key) if args.keep_database else None
    reused = url is not None
    if reused:
        print(f"using the panel an earlier run loaded into {DB_NAME}", flush=True)
    else:
        url = _database(server)
    try:
        load_db_s = None
        if not reused:
            upgrade(url)
            started = time.perf_counter()
            with session_scope(make_engine(url)) as session:
                upsert_panel(session, panel, frequency="D")
            load_db_s = time.perf_counter() - started
            _mark_panel(url, key)
        with tempfile.TemporaryDirectory(prefix="quantis-batch-bench-") as folder:
            panel_path = Path(folder) / "panel.parquet"
            panel.to_parquet(panel_path, index=False)
            model_dir, fit_s = _cached_model(args.model_cache, key)
            if model_dir is None:
                started = time.perf_counter()
                jobs = get_settings().train_jobs  # as the training step estimates
                model = default_forecaster("D", 7, HORIZON, n_jobs=jobs).fit(panel)
                fit_s = time.perf_counter() - started
                model_dir = (args.model_cache or Path(folder)) / "model"
                manifest = ModelManifest(type(model).__name__, "D", 7, HORIZON)
                save_model_dir(model, model_dir, manifest)
                del model
                _remember_model(args.model_cache, key, fit_s)
                print(f"fitted in {fit_s:.0f}s ({jobs} worker processes)", flush=True)
            else:
                print(f"using the model in {model_dir} (fitted in {fit_s:.0f}s)", flush=True)
            del panel
            if args.prepare_only:
                print(f"prepared: {DB_NAME} loaded, model in {model_dir}", flush=True)
                return
            print("forecasting", flush=True)
            ours = _child(_OURS, url, str(model_dir), str(HORIZON))
            print(f"ours {ours['seconds']:.1f}s", flush=True)
            plain = _child(_PLAIN, str(panel_path), str(model_dir), str(HORIZON))
            print(f"plain {plain['seconds']:.1f}s", flush=True)
    finally:
        if not args.keep_database:
            _drop(server)
    expected = args.series * HORIZON
    table = "\n".join(
        [
            "| run | seconds | peak RSS MiB | detail |",
            "| --- | ---: | ---: | --- |",
            f"| ours (read PostgreSQL, predict, COPY) | {ours['seconds']:.1f} | "
            f"{ours['peak_rss_mib']:.0f} | read {ours['read_history_s']:.1f}s, predict "
            f"{ours['predict_s']:.1f}s, store {ours['store_s']:.1f}s; members "
            f"{'+'.join(ours['members'])}; {ours['forecasts_stored']} forecasts / "
            f"{ours['points_stored']} points stored (expected {args.series} / {expected}); "
            f"resident at the start {ours['rss_before_mib']:.0f} MiB, highest while reading / "
            f"predicting / storing {_phase_peaks(ours)} MiB |",
            f"| plain mlforecast predict + statsforecast forecast | {plain['seconds']:.1f} | "
            f"{plain['peak_rss_mib']:.0f} | parquet {plain['read_parquet_s']:.1f}s, mlforecast "
            f"{plain['mlforecast_predict_s']:.1f}s, statsforecast "
            f"{plain['statsforecast_forecast_s']:.1f}s, nothing stored |",
        ]
    )
    write_results(
        "batch_forecast",
        {
            "series": args.series,
            "length": args.length,
            "horizon": HORIZON,
            "levels": LEVELS,
            "fit_seconds_untimed": fit_s,
            "load_db_seconds": load_db_s,
            "ours": ours,
            "plain": plain,
        },
        f"{args.series} daily series x {args.length} points, h={HORIZON}, levels 80/95 "
        f"(model fitted once beforehand in {fit_s:.0f}s, not timed).\n\n" + table,
        machine,
    )


if __name__ == "__main__":
    main()
