"""The local stack's start-up and shutdown: the first `/metrics` scrape of a fresh API process
and the time `LocalStack.stop()` takes, for this checkout and a baseline commit in one run.

Each tree runs in a process of its own on a fresh home (SQLite database and MLflow store, the
MLflow tables created before the API starts, as after a `quantis up`): the REST API (with
`--with-dagster` also the Dagster UI and daemon and the MLflow UI) is started from that tree; the API's first and second
scrapes of `/metrics` are timed from the moment `/health` answered, then the whole stack is
stopped and timed. The baseline tree is `git archive`d into a temporary folder; both use this
checkout's virtual environment. The model server is not part of the timed stop (it needs a
built Bento): `quantis up` stops it with the rest.

Then, in this checkout, `--servers` REST API processes (real uvicorn servers, each with its
own SIGTERM shutdown) are stopped the way the baseline's `LocalStack.stop` did, one group
after another with `stop_process_group`, and started again and stopped together with
`stop_process_groups`, as `quantis up` now does: the stop-together figure beside the old one in
the same run, without the heavier servers (which would not start within their timeouts on a
loaded machine). Writes benchmarks/results/stack_lifecycle.*.

    .venv/bin/python benchmarks/stack_lifecycle.py [--baseline d5c8038] [--rounds 1]
        [--servers 4] [--with-dagster]
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

from benchmarks._baseline import baseline_tree
from benchmarks._machine import machine_info, write_results

REPO = Path(__file__).resolve().parents[1]

# Runs inside the tree under test (its `quantis`, `api` and `core` on PYTHONPATH).
_DRIVER = r"""
import json, sys, time, urllib.request
from core.db.migrate import upgrade
from core.processes import free_port
from core.registry import ModelRegistry
from core.settings import get_settings
from quantis.stack import LocalStack

settings = get_settings().ensure_home()
upgrade(settings.database_url)
ModelRegistry(settings.mlflow_tracking_uri, settings.registered_model_name).champion()

def timed_get(url):
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        body = response.read().decode()
    return time.perf_counter() - started, body

stack = LocalStack(settings)
try:
    if "--with-dagster" in sys.argv:
        stack.start_dagster(free_port())
        stack.start_mlflow(free_port())
    api = stack.start_api(free_port())  # returns once /health answers
    first_s, first = timed_get(f"{api}/metrics")
    time.sleep(15)  # a scrape interval later
    second_s, second = timed_get(f"{api}/metrics")
    servers = list(stack.processes)
finally:
    started = time.perf_counter()
    stack.stop()
    stop_s = time.perf_counter() - started
print(json.dumps({
    "first_scrape_s": round(first_s, 3),
    "first_scrape_has_registry": 'source="registry"' in first,
    "second_scrape_s": round(second_s, 3),
    "second_scrape_has_registry": 'source="registry"' in second,
    "stop_s": round(stop_s, 3),
    "servers_stopped": servers,
}))
"""


def _measure(tree: Path, home: Path, extra: list[str]) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUANTIS_")} | {
        "QUANTIS_HOME": str(home),
        "PYTHONPATH": str(tree),
    }
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, *extra], cwd=tree, env=environment,
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the driver failed in {tree}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _stop_times(servers: int, home: Path) -> dict[str, float]:
    """Seconds to stop `servers` healthy API processes one after another, then together."""
    from core.processes import (
        free_port,
        start_process,
        stop_process_group,
        stop_process_groups,
        wait_until_healthy,
    )
    from quantis.commands.serve import api_command

    environment = {"QUANTIS_HOME": str(home)}
    upgrade_database(home)

    def start() -> list[int]:
        pids = []
        for n in range(servers):
            port = free_port()
            process = start_process(
                api_command("127.0.0.1", port), home / f"api-{n}.log", env=environment, cwd=REPO
            )
            if not wait_until_healthy(f"http://127.0.0.1:{port}/health", timeout_s=300):
                raise RuntimeError(f"API {n} did not start: {process.log_path}")
            pids.append(process.pid)
        return pids

    times = {}
    pids = start()
    started = time.perf_counter()
    for pid in pids:  # the baseline's LocalStack.stop
        stop_process_group(pid)
    times["one after another"] = round(time.perf_counter() - started, 3)
    pids = start()
    started = time.perf_counter()
    stop_process_groups(pids, timeout_s=8.0)  # LocalStack.stop now
    times["together"] = round(time.perf_counter() - started, 3)
    return times


def upgrade_database(home: Path) -> None:
    from core.db.migrate import upgrade
    from core.settings import load_settings

    upgrade(load_settings(home=home).ensure_home().database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="d5c8038", help="commit to compare with")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--with-dagster",
        action="store_true",
        help="also start the Dagster UI and daemon and the MLflow UI beside the API",
    )
    parser.add_argument("--servers", type=int, default=4, help="API processes to stop")
    args = parser.parse_args()
    machine = machine_info()
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    rows: dict[str, list[dict]] = {"baseline": [], "this checkout": []}
    with tempfile.TemporaryDirectory(prefix="stack-lifecycle-") as scratch:
        baseline = baseline_tree(args.baseline, Path(scratch))
        for round_ in range(args.rounds):
            for name, tree in (("baseline", baseline), ("this checkout", REPO)):
                home = Path(scratch) / f"home-{name.replace(' ', '-')}-{round_}"
                extra = ["--with-dagster"] if args.with_dagster else []
                rows[name].append(_measure(tree, home, extra))
                print(name, rows[name][-1], flush=True)
        stop_times = _stop_times(args.servers, Path(scratch) / "home-stop")
        print("stop", stop_times, flush=True)
    table = [
        "| tree | first /metrics scrape (s) | registry gauges in it | second scrape (s) | "
        f"stop, {len(rows['baseline'][0]['servers_stopped'])} servers (s) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, runs in rows.items():
        label = f"{name} ({args.baseline if name == 'baseline' else head})"
        for run in runs:
            table.append(
                f"| {label} | {run['first_scrape_s']:.2f} | {run['first_scrape_has_registry']} "
                f"| {run['second_scrape_s']:.2f} | {run['stop_s']:.2f} |"
            )
    table += [
        "",
        f"Stopping {args.servers} healthy API processes (this checkout, same run):",
        "",
        "| how | seconds |",
        "| --- | --- |",
        *(f"| {how} | {seconds:.2f} |" for how, seconds in stop_times.items()),
    ]
    payload = {"baseline": args.baseline, "head": head, "runs": rows, "stop": stop_times}
    print(write_results("stack_lifecycle", payload, "\n".join(table), machine))


if __name__ == "__main__":
    main()
