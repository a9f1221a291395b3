"""Bulk ingestion: a landing file of N daily series x 730 points to stored rows in PostgreSQL.

A seeded synthetic panel (`models.datasets.synthetic_panel`) is written as one landing file
(Parquet by default, `--format csv` for text), with a few bad rows mixed in (a value that is
not a number, a timestamp that does not parse) so the quarantine is on the path. Then, for each
upsert path, in its own subprocess (so its peak memory, VmHWM, is its own) on a fresh migrated
database, the steps of the `staged_observations` and `observations` assets from the file to
stored rows:

1. parse: `parse_landing_file` (raw and parsed columns);
2. validate: the Great Expectations suite (`run_observation_suite`) and `split_batch`, bad rows
   stored with `quarantine_frame`;
3. stage: the good rows written to Parquet and read back, as the staging object does;
4. upsert: `upsert_panel(method=...)`, committed;

(Great Expectations is imported before the first file, and that import timed apart: it is a
fixed cost of the process, 10 to 30 s here where Python writes no bytecode cache.)

and then the same file lands again: the same four steps, and the benchmark asserts that nothing
was stored twice (no row inserted, the row count unchanged, every row an update).

Paths: `staged` (today's `upsert_panel`: binary COPY into a temporary staging table and one
`INSERT ... SELECT ... ON CONFLICT`) and `rows` (the earlier chunked `INSERT ... ON CONFLICT`
of 2,000 rows, `method="rows"`). The series are created by `upsert_panel` on the first landing.

`landed` and `chunked` run the ingestion assets' own code from a landing folder instead
(`pick_up_new_files` streaming the file from the folder store, `stage_batch` checking and
staging it, frequency grid included, `upsert_staged`): `landed` with no chunk limit (the
batch in one piece), `chunked` with `--chunk-rows` (the `landing_chunk_rows` setting), so
their peak memory compares reading the same file whole and in chunks. For them "parse" is the
pickup (hashing and reading the file, in chunks the first read), "validate" checking,
quarantining and staging, "stage" nothing apart, "upsert" the upsert of the staged parts.
After the two landings, the rest of the `observations` step runs in a process of its own on
the stored rows (`curate_panel`: the panel read from the database, screened, fingerprinted and
written as the Parquet snapshot), with the whole panel as one group for `landed` and groups of
at most `--chunk-rows` rows of whole series for `chunked`: its peak memory is reported apart
("snapshot") and in the path's peak, and the two snapshots' fingerprints must be equal.

    .venv/bin/python benchmarks/bulk_ingestion.py [--series 1000] [--length 730] [--paths staged rows landed chunked] [--chunk-rows 100000] [--format parquet|csv]

Needs PostgreSQL (QUANTIS_BENCH_POSTGRES_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres); a database per path,
`i26_ingest_<path>`, is created and dropped. Writes benchmarks/results/bulk_ingestion.{json,md}
(`--name` to write another name).
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

from benchmarks._machine import machine_info, write_results

REPO = Path(__file__).resolve().parents[1]
BAD_ROWS_EVERY = 100_000  # one bad row in this many (alternately a bad value, a bad timestamp)

_LOAD = """
import io, json, sys, time
from pathlib import Path
import pandas as pd
from sqlalchemy import func, select
from core.db.engine import make_engine, session_scope
from core.db.repositories.observations import upsert_panel
from core.db.repositories.quarantine import count_quarantined, quarantine_frame
from core.db.tables import Observation
from orchestration.defs.ingestion.expectations import run_observation_suite
from orchestration.defs.ingestion.landing import LandingFile, parse_landing_file
from orchestration.defs.ingestion.quarantine import split_batch

url, landing, method = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
engine = make_engine(url)
mark = time.perf_counter()
import great_expectations  # once per process, whatever the file's size: timed apart
import_s = round(time.perf_counter() - mark, 2)

def land(run):
    phases = {}
    started = time.perf_counter()
    file = LandingFile(key=landing.name, data=landing.read_bytes())
    batch = parse_landing_file(file)
    del file
    phases["parse_s"] = time.perf_counter() - started
    mark = time.perf_counter()
    outcomes = run_observation_suite(batch)
    good, bad = split_batch(batch, outcomes)
    del batch
    with session_scope(engine) as session:
        for source, rows in bad.groupby("source_file", sort=False):
            quarantine_frame(session, rows.assign(ds=rows["ds_raw"], y=rows["y_raw"]),
                             source=str(source), run_id=run)
    phases["validate_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    buffer = io.BytesIO()
    good[["unique_id", "ds", "y"]].to_parquet(buffer, index=False)
    del good
    staged = pd.read_parquet(io.BytesIO(buffer.getvalue()))
    del buffer
    phases["stage_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    with session_scope(engine) as session:
        result = upsert_panel(session, staged, method=method)
    phases["upsert_s"] = time.perf_counter() - mark
    phases["total_s"] = time.perf_counter() - started
    with session_scope(engine) as session:
        stored = session.scalar(select(func.count()).select_from(Observation))
        quarantined = count_quarantined(session)
    return {**{k: round(v, 2) for k, v in phases.items()}, "good_rows": len(staged),
            "quarantined_rows": len(bad), "inserted": result.inserted,
            "updated": result.updated, "stored_rows_after": stored,
            "quarantine_rows_after": quarantined}

first = land("first")
again = land("again")
peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"first": first, "again": again, "peak_rss_mib": round(peak, 1),
                  "import_great_expectations_s": import_s}))
"""

_LAND = """
import json, sys, time
from pathlib import Path
from sqlalchemy import func, select
from core.datasets import DEFAULT_DATASET, DatasetConfig
from core.db.engine import make_engine, session_scope
from core.db.repositories.datasets import default_dataset_id
from core.db.repositories.observations import first_observation_times
from core.db.repositories.quarantine import count_quarantined
from core.db.tables import Observation
from core.storage import open_object_store
from orchestration.defs.ingestion.pickup import pick_up_new_files
from orchestration.defs.ingestion.staging import stage_batch, upsert_staged

url, folder, chunk_rows = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]) or None
engine = make_engine(url)
landing = open_object_store(str(folder / "landing"))
store = open_object_store(str(folder / "objects"))
rules = DatasetConfig(name=DEFAULT_DATASET, frequency="D", max_bad_row_share=1.0)
mark = time.perf_counter()
import great_expectations  # once per process, whatever the file's size: timed apart
import_s = round(time.perf_counter() - mark, 2)

def land(run):
    # The file is never marked loaded, so the second landing picks it up again.
    phases = {}
    started = time.perf_counter()
    with session_scope(engine) as session:
        dataset_id = default_dataset_id(session)
        picked = pick_up_new_files(session, landing, DEFAULT_DATASET, chunk_rows=chunk_rows)
        anchors = first_observation_times(session, dataset_id)
    phases["parse_s"] = time.perf_counter() - started
    mark = time.perf_counter()
    with session_scope(engine) as session:
        staged = stage_batch(session, picked, landing, store, rules, anchors,
                             dataset=DEFAULT_DATASET, dataset_id=dataset_id, run_id=run)
    del picked
    phases["validate_s"] = time.perf_counter() - mark
    phases["stage_s"] = 0.0
    mark = time.perf_counter()
    parts = staged.parts if staged.parts is not None else (staged.staging_key,)
    with session_scope(engine) as session:
        result = upsert_staged(session, store, parts, frequency="D", dataset_id=dataset_id)
    phases["upsert_s"] = time.perf_counter() - mark
    phases["total_s"] = time.perf_counter() - started
    with session_scope(engine) as session:
        stored = session.scalar(select(func.count()).select_from(Observation))
        quarantined = count_quarantined(session)
    return {**{k: round(v, 2) for k, v in phases.items()}, "good_rows": staged.good_rows,
            "quarantined_rows": staged.bad_rows, "inserted": result.inserted,
            "updated": result.updated, "stored_rows_after": stored,
            "quarantine_rows_after": quarantined, "chunks": staged.chunks}

first = land("first")
again = land("again")
peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"first": first, "again": again, "peak_rss_mib": round(peak, 1),
                  "import_great_expectations_s": import_s}))
"""

_SNAPSHOT = """
import json, sys, time
from pathlib import Path
from core.datasets import DEFAULT_DATASET, DatasetConfig
from core.db.engine import make_engine, session_scope
from core.db.repositories.datasets import default_dataset_id
from core.storage import open_object_store
from orchestration.defs.ingestion.curated import curate_panel

url, folder, group_rows = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
engine = make_engine(url)
store = open_object_store(str(folder / "objects"))
rules = DatasetConfig(name=DEFAULT_DATASET, frequency="D", max_bad_row_share=1.0)
with session_scope(engine) as session:
    dataset_id = default_dataset_id(session)
status = lambda field: int(open("/proc/self/status").read().split(field)[1].split()[0]) / 1024
before = status("VmRSS:")
mark = time.perf_counter()
curated = curate_panel(lambda: session_scope(engine), store, folder / "scratch", rules,
                       dataset_id=dataset_id, run_id="bench", group_rows=group_rows)
written = (folder / "objects" / curated.snapshot_key).stat().st_size
print(json.dumps({"snapshot_s": round(time.perf_counter() - mark, 2),
                  "peak_rss_mib": round(status("VmHWM:"), 1),
                  "rss_before_mib": round(before, 1), "parts": curated.parts,
                  "panel_rows": curated.rows, "snapshot_mib": round(written / 2**20, 1),
                  "training_series": len(curated.screening.training_series),
                  "fingerprint": curated.fingerprint}))
"""
ONE_GROUP = 10**12  # rows: the whole panel as one group


def _child(code: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_WAIT_POLICY": "PASSIVE"}
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"a benchmark process failed\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _fresh_database(server_url: str, name: str) -> str:
    from sqlalchemy import create_engine, make_url, text

    from core.db.migrate import upgrade

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def _drop(server_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def write_landing_file(path: Path, series: int, length: int, seed: int) -> tuple[int, int]:
    """The panel as a landing file with bad rows mixed in; (rows, bad rows)."""
    from models.datasets import synthetic_panel

    panel = synthetic_panel(series, length, "D", seed=seed)
    panel["ds"] = panel["ds"].dt.strftime("%Y-%m-%d")
    panel["y"] = panel["y"].map("{:.6f}".format)
    bad = panel.index[BAD_ROWS_EVERY // 2 :: BAD_ROWS_EVERY]
    for position, row in enumerate(bad):
        panel.loc[row, "y" if position % 2 == 0 else "ds"] = "n/a"
    if path.suffix == ".csv":
        panel.to_csv(path, index=False)
    else:
        panel.to_parquet(path, index=False)
    return len(panel), len(bad)


def _checked(run: dict, rows: int, bad: int) -> None:
    """Every good row stored once, the bad ones quarantined, re-landing stores nothing twice."""
    first, again = run["first"], run["again"]
    good = rows - bad
    assert (first["good_rows"], first["quarantined_rows"]) == (good, bad), first
    assert (first["inserted"], first["updated"], first["stored_rows_after"]) == (good, 0, good)
    assert (again["inserted"], again["updated"], again["stored_rows_after"]) == (0, good, good)
    assert again["quarantine_rows_after"] == 2 * bad  # a bad row is recorded each time it lands


def _table(runs: dict[str, dict], rows: int) -> str:
    lines = [
        "| path | parse s | validate s | stage s | upsert s | total s | rows/s (upsert) "
        "| again: total s | again: inserted | peak RSS MiB | chunks |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for path, run in runs.items():
        first, again = run["first"], run["again"]
        lines.append(
            f"| {path} | {first['parse_s']} | {first['validate_s']} | {first['stage_s']} "
            f"| {first['upsert_s']} | {first['total_s']} "
            f"| {first['good_rows'] / first['upsert_s']:,.0f} | {again['total_s']} "
            f"| {again['inserted']} | {run['peak_rss_mib']:.0f} | {first.get('chunks', '')} |"
        )
    imports = ", ".join(f"{p} {r['import_great_expectations_s']} s" for p, r in runs.items())
    snapshots = {p: r["snapshot"] for p, r in runs.items() if "snapshot" in r}
    if snapshots:
        lines += [
            "",
            "The `observations` step's panel snapshot, in a process of its own after the "
            "landings (read, screened, fingerprinted, written; its peak is in the path's peak "
            "above):",
            "",
            "| path | groups | snapshot s | RSS before MiB | peak RSS MiB | landing peak RSS MiB "
            "| snapshot MiB | training series |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {p} | {s['parts']} | {s['snapshot_s']} | {s['rss_before_mib']:.0f} "
            f"| {s['peak_rss_mib']:.0f} | {runs[p]['landing_peak_rss_mib']:.0f} "
            f"| {s['snapshot_mib']} | {s['training_series']} |"
            for p, s in snapshots.items()
        ]
    return (
        "\n".join(lines)
        + f"\n\n{rows:,} rows in the landing file; importing Great Expectations, before the "
        f"first file and not in its total: {imports}.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--length", type=int, default=730)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--paths",
        nargs="+",
        choices=["staged", "rows", "landed", "chunked"],
        default=["staged", "rows"],
    )
    parser.add_argument(
        "--chunk-rows",
        type=int,
        default=100_000,
        help="rows a chunk for the `chunked` path (the landing_chunk_rows setting)",
    )
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--name", default="bulk_ingestion", help="results file name")
    args = parser.parse_args()
    machine = machine_info()
    server = os.environ.get(
        "QUANTIS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bulk-ingestion-") as scratch:
        landing = Path(scratch) / f"panel.{args.format}"
        rows, bad = write_landing_file(landing, args.series, args.length, args.seed)
        for path in args.paths:
            name = f"i26_ingest_{path}"
            url = _fresh_database(server, name)
            try:
                if path in ("landed", "chunked"):
                    folder = Path(scratch) / path
                    (folder / "landing").mkdir(parents=True)
                    (folder / "landing" / landing.name).symlink_to(landing)
                    chunk_rows = args.chunk_rows if path == "chunked" else 0
                    runs[path] = _child(_LAND, url, str(folder), str(chunk_rows))
                    groups = args.chunk_rows if path == "chunked" else ONE_GROUP
                    snapshot = _child(_SNAPSHOT, url, str(folder), str(groups))
                    runs[path]["snapshot"] = snapshot
                    runs[path]["landing_peak_rss_mib"] = runs[path]["peak_rss_mib"]
                    runs[path]["peak_rss_mib"] = max(
                        runs[path]["peak_rss_mib"], snapshot["peak_rss_mib"]
                    )
                else:
                    runs[path] = _child(_LOAD, url, str(landing), path)
            finally:
                _drop(server, name)
            _checked(runs[path], rows, bad)
            print(path, json.dumps(runs[path]), flush=True)
        snapshots = [run["snapshot"] for run in runs.values() if "snapshot" in run]
        assert len({s["fingerprint"] for s in snapshots}) <= 1, "the snapshots differ"
        file_mib = landing.stat().st_size / 2**20
    payload = {
        "series": args.series,
        "length": args.length,
        "seed": args.seed,
        "format": args.format,
        "landing_rows": rows,
        "bad_rows": bad,
        "landing_file_mib": round(file_mib, 1),
        "chunk_rows": args.chunk_rows if "chunked" in args.paths else None,
        "runs": runs,
    }
    print(write_results(args.name, payload, _table(runs, rows), machine))


if __name__ == "__main__":
    main()
