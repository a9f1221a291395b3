"""Wall time of the whole pipeline on the bundled data under each executor.

For each executor (`in_process`, `multiprocess`) a fresh home on embedded defaults (SQLite,
local MLflow, folder object store, local model server) gets the Tourism quarterly demo data
in its landing area, and one run of `quantis_pipeline` (ingest to roll-out) is timed, each in
its own child process so that no import is warm. `k8s` needs a cluster and is not measured.
Writes benchmarks/results/pipeline_executors.{json,md}.

    .venv/bin/python benchmarks/pipeline_executors.py [--executors in_process multiprocess]

With `--backtest-paths` it times instead the in-process run twice, with the promotion
backtest reusing member fits (the default, `QUANTIS_BACKTEST_REUSE_FITS=true`) and with the
old path that refits every model at every window (`false`), alternating, in one invocation;
`--name` picks the results file.

With `--baseline REV` each executor's run is also timed on commit REV (`git archive`d into a
temporary folder, run with this virtual environment), alternating with this checkout in one
invocation. `--env KEY=VALUE` sets a setting for this checkout's runs (e.g.
`QUANTIS_TRAIN_JOBS=1`), `--baseline-env KEY=VALUE` one for the baseline's (e.g.
`PYTHONPYCACHEPREFIX=/tmp/none`: every module compiled from source at each start, as in a
virtual environment installed without bytecode while `PYTHONDONTWRITEBYTECODE` is set).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._baseline import baseline_tree
from benchmarks._machine import machine_info, write_results

REPO = Path(__file__).resolve().parents[1]
_ONE_RUN = """
import json, sys, time
from core.runtime import apply_offline_defaults
apply_offline_defaults()
from core.db.migrate import upgrade
from core.settings import get_settings
from quantis.demo_data import seed_landing_with_tourism
from quantis.pipeline_runner import run_pipeline
from core.db.engine import make_engine, session_scope
from core.db.repositories.deployments import get_active_deployment
from core.processes import stop_process_group

settings = get_settings().ensure_home()
upgrade(settings.database_url)
seed_landing_with_tourism(settings)
started = time.perf_counter()
outcome = run_pipeline(settings)
wall = time.perf_counter() - started
with session_scope(make_engine(settings.database_url)) as session:
    active = get_active_deployment(session, "local")
    pid = (active.details or {}).get("pid") if active else None
if pid:
    stop_process_group(pid)
print(json.dumps({"success": outcome.success, "wall_seconds": wall,
                  "step_seconds": outcome.step_seconds, "failures": outcome.failures}))
"""


def _run(
    executor: str, home: Path, extra_env: dict[str, str] | None = None, repo: Path = REPO
) -> dict:
    from core.processes import free_port

    env = {
        **os.environ,
        **(extra_env or {}),
        "QUANTIS_HOME": str(home),
        "QUANTIS_EXECUTOR": executor,
        "QUANTIS_MODEL_SERVER_PORT": str(free_port()),
        "PYTHONPATH": str(repo),
    }
    result = subprocess.run(
        [sys.executable, "-c", _ONE_RUN], cwd=repo, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"{executor}: the run failed\n{result.stderr[-3000:]}")
    run = json.loads(result.stdout.strip().splitlines()[-1])
    if not run["success"]:
        # A failed run stops early: its wall time would read as a fast pipeline.
        raise SystemExit(f"{executor}: the pipeline failed: {run['failures']}")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executors", nargs="+", default=["in_process", "multiprocess"])
    parser.add_argument(
        "--backtest-paths",
        action="store_true",
        help="in-process only: the backtest reusing member fits against the old refit path",
    )
    parser.add_argument("--name", default="pipeline_executors", help="results file name")
    parser.add_argument("--baseline", help="also time each run on this commit (git rev)")
    parser.add_argument(
        "--env", nargs="+", default=[], metavar="KEY=VALUE", help="settings for this checkout"
    )
    parser.add_argument(
        "--baseline-env", nargs="+", default=[], metavar="KEY=VALUE", help="the baseline's"
    )
    args = parser.parse_args()
    machine = machine_info()
    settings = dict(pair.split("=", 1) for pair in args.env)
    baseline_settings = dict(pair.split("=", 1) for pair in args.baseline_env)
    plans = [(executor, executor, settings, REPO) for executor in args.executors]
    if args.backtest_paths:
        plans = [
            ("reuse fits", "in_process", {"QUANTIS_BACKTEST_REUSE_FITS": "true"}, REPO),
            ("refit (old path)", "in_process", {"QUANTIS_BACKTEST_REUSE_FITS": "false"}, REPO),
        ]
    with tempfile.TemporaryDirectory(prefix="quantis-bench-baseline-") as scratch:
        if args.baseline:
            baseline = baseline_tree(args.baseline, Path(scratch))
            plans = [
                plan
                for label, executor, env, repo in plans
                for plan in (
                    (label, executor, env, repo),
                    (f"{label} at {args.baseline}", executor, baseline_settings, baseline),
                )
            ]
        runs = {}
        for label, executor, extra_env, repo in plans:
            with tempfile.TemporaryDirectory(prefix=f"quantis-bench-{executor}-") as home:
                runs[label] = _run(executor, Path(home), extra_env, repo)
            print(f"{label}: {runs[label]['wall_seconds']:.1f}s", flush=True)
    steps = list(next(iter(runs.values()))["step_seconds"])
    lines = [
        "| step | " + " | ".join(runs) + " |",
        "|---" * (len(runs) + 1) + "|",
        *(
            f"| {step} | "
            + " | ".join(f"{r['step_seconds'].get(step, float('nan')):.1f}" for r in runs.values())
            + " |"
            for step in steps
        ),
        "| **pipeline wall time** | "
        + " | ".join(f"**{r['wall_seconds']:.1f}**" for r in runs.values())
        + " |",
    ]
    write_results(
        args.name,
        {
            "dataset": "tourism quarterly (427 series)",
            "baseline": args.baseline,
            "env": settings,
            "baseline_env": baseline_settings,
            "runs": runs,
        },
        "Seconds per step and in all (wall time of `run_pipeline`, first run on a fresh "
        "home).\n\n" + "\n".join(lines),
        machine,
    )


if __name__ == "__main__":
    main()
