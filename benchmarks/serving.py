"""Serving latency and throughput: model server direct, API end to end, in-process floor.

A stack is started on this machine: the model server (`bentoml serve`) with a trained model
and the API (uvicorn) on a SQLite database holding `--api-series` daily series of
`--length` points. `wrk` (a separate process; `apt-get install -y wrk`) then sends
single-series forecast requests (h=28, levels 80/95, 730 points of history) for `--duration`
seconds at each concurrency:

- `model_server`: `POST /forecast` with one series' history in the body, rotating over the
  same series as the API's requests (so both ask the model for the same forecasts; with
  `--one-series` also the same series in every request, as measured before 2026-12: the
  server's batcher forecasts concurrent identical requests once, so that row is not the
  work the API asks for);
- `api`: `POST /api/v1/forecasts` with one series id (history read from the database, the
  forecast stored), rotating over the series;
- `floor`: the bare in-process `forecast_histories` call, one at a time (concurrency 1 only).

Targets: at 16 clients the API sustains >= 70% of the model server's throughput; the model
server's p50 at 1 client is within 2x of the floor; no errors. Writes
benchmarks/results/serving.{json,md}.

    .venv/bin/python benchmarks/serving.py [--model lightgbm default] [--model-dir DIR]
        [--concurrency 1 16 64] [--duration 20] [--api-workers 1] [--many-series 100]
        [--unseen] [--one-series]

The model is trained on the series the API's database holds, and the direct requests send
one of them, as in the pipeline (which trains on every series it serves); `--unseen` sends
series the model never saw instead. With `--model lightgbm default` both servers run in one
invocation and the default model's throughput at 16 clients and its 100-series p50 are
compared with the LightGBM-only server's (targets: >= 0.7x, <= 2x).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPO_ROOT = Path(__file__).resolve().parents[1]
FREQ, SEASON, HORIZON, LEVELS = "D", 7, 28, [80, 95]
WRK_SCRIPT = """
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do bodies[#bodies + 1] = line end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("BENCH_KEY") or ""
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[counter % #bodies + 1])
end
"""


def _served_panel(series: int, length: int):
    """The series the API's database holds (and, unless --unseen, the model trained on)."""
    from models.datasets import synthetic_panel

    return synthetic_panel(series, length, FREQ, seed=7)


def _train(kind: str, directory: Path, panel) -> Path:
    from models.artifact import ModelManifest, save_model_dir
    from models.evaluation import default_forecaster
    from models.forecaster import LightGBMForecaster

    if kind == "default":  # what the pipeline deploys: LightGBM combined with ETS/Theta
        model = default_forecaster(FREQ, SEASON, HORIZON)
    else:
        model = LightGBMForecaster.from_defaults(FREQ, SEASON, HORIZON)
    model.fit(panel)
    manifest = ModelManifest(
        model_class=type(model).__name__, freq=FREQ, season_length=SEASON, horizon=HORIZON,
        name="quantis-forecaster", version=f"bench-{kind}",
    )  # fmt: skip
    save_model_dir(model, directory, manifest)
    return directory


def _history(length: int, series_id: str = "bench", panel=None) -> dict:
    """One series' request body: `series_id` of `panel` (the served panel), or an unseen one."""
    from models.datasets import synthetic_panel

    if panel is None:
        panel = synthetic_panel(1, length, FREQ, seed=5)
    else:
        panel = panel[panel["unique_id"] == series_id]
    return {
        "id": series_id,
        "timestamps": [ts.isoformat() for ts in panel["ds"]],
        # exact values: a seen series must match what the model was trained on
        "values": panel["y"].tolist(),
    }


def _floor_in_process(model_dir: Path, length: int, seconds: float, body: str) -> dict:
    from bentos.inference import forecast_histories
    from bentos.schemas import SeriesHistory
    from models.artifact import load_model_dir

    model, _ = load_model_dir(model_dir)
    series = [SeriesHistory(**json.loads(Path(body).read_text())["series"][0])]
    forecast_histories(model, series, HORIZON, LEVELS)  # warm-up
    latencies, deadline = [], time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(latencies) < 5:
        started = time.perf_counter()
        forecast_histories(model, series, HORIZON, LEVELS)
        latencies.append(time.perf_counter() - started)
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / sum(latencies), 2),
        "p50_ms": round(statistics.median(latencies) * 1e3, 1),
        "p99_ms": round(quantiles[98] * 1e3, 1),
        "errors": 0,
    }


def _floor(model_dir: Path, length: int, seconds: float, body: Path) -> dict:
    """The floor in a fresh process, like the server's, not in this one that trained."""
    code = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
        "from benchmarks.serving import _floor_in_process as f; "
        "print(json.dumps(f(Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), "
        "sys.argv[5])))"
    )
    command = [
        sys.executable,
        "-c",
        code,
        str(REPO_ROOT),
        str(model_dir),
        str(length),
        str(seconds),
        str(body),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def _wrk(url: str, bodies: Path, key: str, clients: int, seconds: int, work: Path) -> dict:
    script = work / "bench.lua"
    script.write_text(WRK_SCRIPT)
    command = [
        "wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{seconds}s", "--timeout", "300s",
        "--latency", "-s", str(script), url,
    ]  # fmt: skip
    env = {**os.environ, "BENCH_BODIES": str(bodies), "BENCH_KEY": key}
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    (work / f"wrk-{clients}-{url.rsplit('/', 1)[-1]}.txt").write_text(out)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    if set(latency) != {"50", "99"}:
        raise RuntimeError(f"cannot read wrk's latency distribution:\n{out}")
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": total,
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": round(_ms(latency["50"]), 1),
        "p99_ms": round(_ms(latency["99"]), 1),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(x) for x in socket.groups()) if socket else 0),
    }


class Stack:
    """Model server + API as child processes on a temporary home."""

    def __init__(self, work: Path, model_dir: Path, api_workers: int) -> None:
        self.work, self.model_dir, self.api_workers = work, model_dir, api_workers
        self.processes: list[int] = []

    def _start(self, command: list[str], env: dict, health: str, name: str) -> None:
        from core.processes import log_tail, start_process, wait_until_healthy

        process = start_process(command, self.work / f"{name}.log", env=env, cwd=REPO_ROOT)
        self.processes.append(process.pid)
        if not wait_until_healthy(health, timeout_s=180, pid=process.pid):
            raise RuntimeError(f"{name} did not start:\n{log_tail(process.log_path)}")

    def start(self, database_url: str) -> tuple[str, str]:
        from core.processes import free_port

        bin_dir = Path(sys.executable).parent
        model_port, api_port = free_port(), free_port()
        model_url, api_url = f"http://127.0.0.1:{model_port}", f"http://127.0.0.1:{api_port}"
        self._start(
            [str(bin_dir / "bentoml"), "serve", "bentos.service:ModelServer", "--port", str(model_port)],
            {"QUANTIS_MODEL_DIR": str(self.model_dir), "BENTOML_DO_NOT_TRACK": "true"},
            f"{model_url}/readyz", "model-server",
        )  # fmt: skip
        api_env = {
            "QUANTIS_HOME": str(self.work / "home"),
            "QUANTIS_DATABASE_URL": database_url,
            "QUANTIS_MODEL_SERVER_URL": model_url,
            # Requests queue behind a slow model; the bench measures that, not timeouts.
            "QUANTIS_MODEL_SERVER_TIMEOUT_S": "300",
            "QUANTIS_API_RATE_LIMIT_PER_MINUTE": "1e9",
            "QUANTIS_API_RATE_LIMIT_BURST": "1e9",
        }
        self._start(
            [str(bin_dir / "uvicorn"), "--factory", "api.main:create_app", "--port", str(api_port),
             "--workers", str(self.api_workers), "--no-access-log", "--log-level", "warning"],
            api_env, f"{api_url}/health", "api",
        )  # fmt: skip
        return model_url, api_url

    def stop(self) -> None:
        from core.processes import stop_process_group

        for pid in reversed(self.processes):
            stop_process_group(pid)


def _seed_database(database_url: str, panel) -> tuple[list[int], str]:
    from core.db.engine import make_engine, session_scope
    from core.db.migrate import upgrade
    from core.db.repositories.api_keys import create_api_key
    from core.db.repositories.observations import upsert_panel
    from core.db.repositories.series import series_ids_by_name
    from core.settings import load_settings

    upgrade(database_url)
    secret = load_settings().secret_key.get_secret_value()
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        upsert_panel(session, panel, frequency=FREQ)
        ids = list(series_ids_by_name(session, panel["unique_id"].unique()).values())
        _key, plaintext = create_api_key(session, name="bench", scopes=["write"], secret_key=secret)
    engine.dispose()
    return ids, plaintext


def _table(results: dict) -> str:
    lines = [
        "| target | clients | req/s | p50 ms | p99 ms | requests | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for target, rows in results.items():
        for clients, r in rows.items():
            lines.append(
                f"| {target} | {clients} | {r['requests_per_s']} | {r['p50_ms']} | {r['p99_ms']} "
                f"| {r['requests']} | {r['errors']} |"
            )
    return "\n".join(lines)


def _targets(results: dict, concurrency: list[int]) -> dict:
    checks: dict[str, object] = {}
    direct, api, floor = results["model_server"], results["api"], results["floor"]["1"]
    if "16" in direct and "16" in api:
        share = api["16"]["requests_per_s"] / direct["16"]["requests_per_s"]
        checks["api_share_of_model_server_at_16"] = round(share, 3)
        checks["api_share_met"] = share >= 0.7
    if "1" in direct:
        ratio = direct["1"]["p50_ms"] / floor["p50_ms"]
        checks["model_server_p50_over_floor_at_1"] = round(ratio, 2)
        checks["p50_within_2x_met"] = ratio <= 2.0
    runs = [r for rows in results.values() for r in rows.values()]
    checks["no_errors"] = all(r["errors"] == 0 for r in runs)
    # wrk counts finished requests only: a run where none finished in time is a failure too.
    checks["every_run_finished_requests"] = all(r["requests"] > 0 for r in runs)
    return checks


def _across_models(by_model: dict) -> dict:
    """The default model's server against the LightGBM-only one (when both ran)."""
    if not {"default", "lightgbm"} <= set(by_model):
        return {}
    default, lightgbm = by_model["default"]["results"], by_model["lightgbm"]["results"]
    checks: dict[str, object] = {}
    if "16" in default["model_server"] and "16" in lightgbm["model_server"]:
        share = (
            default["model_server"]["16"]["requests_per_s"]
            / lightgbm["model_server"]["16"]["requests_per_s"]
        )
        checks["default_share_of_lightgbm_throughput_at_16"] = round(share, 3)
        checks["default_share_met"] = share >= 0.7
    if "1" in default.get("many_series", {}) and "1" in lightgbm.get("many_series", {}):
        ratio = default["many_series"]["1"]["p50_ms"] / lightgbm["many_series"]["1"]["p50_ms"]
        checks["default_over_lightgbm_many_series_p50"] = round(ratio, 2)
        checks["many_series_p50_within_2x_met"] = ratio <= 2.0
    return checks


def _bench_model(kind: str, args, work: Path, panel, database_url: str, ids, key) -> dict:
    model_dir = args.model_dir or _train(kind, work / f"model-{kind}", panel)
    stack = Stack(work, model_dir, args.api_workers)
    results: dict[str, dict[str, dict]] = {"floor": {}, "model_server": {}, "api": {}}
    try:
        model_url, api_url = stack.start(database_url)
        one_body, direct_bodies = work / "one_series.jsonl", work / "direct.jsonl"
        api_bodies = work / "api.jsonl"
        seen = None if args.unseen else panel
        names = [str(name) for name in panel["unique_id"].unique()]
        bodies = [
            {"series": [_history(args.length, name, seen)], "horizon": HORIZON, "levels": LEVELS}
            for name in names
        ]
        if args.unseen:  # one unseen history, under each series' own id
            bodies = [{**b, "series": [{**b["series"][0], "id": f"unseen-{i}"}]}
                      for i, b in enumerate(bodies)]  # fmt: skip
        # The direct requests rotate over the same series as the API's, in the same order:
        # both paths then ask the model for the same forecasts.
        direct_bodies.write_text("".join(json.dumps(body) + "\n" for body in bodies))
        one_body.write_text(json.dumps(bodies[0]) + "\n")
        api_bodies.write_text(
            "".join(
                json.dumps({"series_ids": [i], "horizon": HORIZON, "levels": LEVELS}) + "\n"
                for i in ids
            )
        )
        results["floor"]["1"] = _floor(model_dir, args.length, args.duration, one_body)
        for clients in args.concurrency:
            results["model_server"][str(clients)] = _wrk(
                f"{model_url}/forecast", direct_bodies, "", clients, args.duration, work
            )
            if args.one_series:
                results.setdefault("model_server_one_series", {})[str(clients)] = _wrk(
                    f"{model_url}/forecast", one_body, "", clients, args.duration, work
                )
            results["api"][str(clients)] = _wrk(
                f"{api_url}/api/v1/forecasts", api_bodies, key, clients, args.duration, work
            )
            print(kind, clients, results["model_server"][str(clients)],
                  results["api"][str(clients)], flush=True)  # fmt: skip
        if args.many_series:
            many = work / "many.jsonl"
            histories = [_history(args.length, name, seen) for name in names[: args.many_series]]
            if args.unseen:
                histories = [{**h, "id": f"unseen-{i}"} for i, h in enumerate(histories)]
            many.write_text(
                json.dumps({"series": histories, "horizon": HORIZON, "levels": LEVELS}) + "\n"
            )
            results["many_series"] = {
                "1": _wrk(f"{model_url}/forecast", many, "", 1, args.duration, work)
            }
            print(kind, f"{len(histories)} series", results["many_series"]["1"], flush=True)
    finally:
        stack.stop()
    return {"results": results, "targets": _targets(results, args.concurrency)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--model", choices=("lightgbm", "default"), nargs="+", default=["lightgbm"],
        help="one run per model; both: also the default model against LightGBM-only",
    )  # fmt: skip
    parser.add_argument("--model-dir", type=Path, help="Use a saved model directory instead.")
    parser.add_argument("--length", type=int, default=730)
    parser.add_argument("--api-series", type=int, default=100)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--api-workers", type=int, default=1)
    parser.add_argument(
        "--many-series", type=int, default=100,
        help="also time one request for this many series (1 client; 0: skip)",
    )  # fmt: skip
    parser.add_argument(
        "--unseen", action="store_true",
        help="request series the model was not trained on (the statistical members estimate "
        "afresh); by default the model is trained on the served series, as the pipeline does",
    )  # fmt: skip
    parser.add_argument(
        "--one-series", action="store_true",
        help="also send the model server one series in every request (the measurement before "
        "2026-12: concurrent identical requests are forecast once per batch, so it is not the "
        "API's work)",
    )  # fmt: skip
    parser.add_argument("--name", default="serving")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed as the load generator: apt-get install -y wrk")

    from benchmarks._machine import machine_info, write_results
    from core.runtime import apply_offline_defaults

    apply_offline_defaults()
    # LightGBM's OpenMP threads spin-wait by default, which slows them sharply when other
    # processes share the cores (every child process inherits this).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    machine = machine_info()
    work = Path(tempfile.mkdtemp(prefix="quantis-bench-"))
    panel = _served_panel(args.api_series, args.length)
    database_url = f"sqlite:///{work / 'quantis.db'}"
    ids, key = _seed_database(database_url, panel)
    by_model = {
        kind: _bench_model(kind, args, work, panel, database_url, ids, key) for kind in args.model
    }
    across = _across_models(by_model)
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    payload = {"settings": settings, "models": by_model, "targets": across}
    table = "\n\n".join(
        f"### {kind}\n\n" + _table(run["results"]) + "\n\nTargets: " + json.dumps(run["targets"])
        for kind, run in by_model.items()
    )
    if across:
        table += "\n\nDefault model against LightGBM-only: " + json.dumps(across)
    print(write_results(args.name, payload, table, machine))
    print(table)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
