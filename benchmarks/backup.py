"""Backup and restore time and size: the demo data set and a 1-million-row table, plus a drill.

Cases (each: full backup with `core.backup.create_backup`, then restore into a fresh database
with `restore_backup`, which verifies every file's sha256 and every table's rows and checksum):

- `demo-sqlite`, `demo-postgresql`: Tourism monthly loaded with `upsert_panel` into the
  operational database, plus an MLflow store holding a small champion (backed up with it);
- `1m-postgresql`: 1,000 series x 1,000 daily points = 1,000,000 observations on PostgreSQL,
  generated in SQL (`generate_series`) so that loading is not what is measured.

Then `run_drill` on the demo PostgreSQL backup gives the measured RTO (restore into scratch,
verification, champion download, load and forecast). Writes benchmarks/results/backup.{json,md}.

    .venv/bin/python benchmarks/backup.py [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from core.backup import (
    BackupSources,
    DatabaseSource,
    FolderSource,
    RestoreTargets,
    create_backup,
    restore_backup,
    run_drill,
)
from core.backup import postgres as pg
from core.backup.sources import (
    MLFLOW_ARTIFACTS,
    MLFLOW_DATABASE,
    OPERATIONAL_DATABASE,
)
from core.db.engine import make_engine, session_scope
from core.db.migrate import upgrade
from core.storage import open_object_store

MODEL_NAME = "quantis-forecaster"
MILLION_SQL = """
INSERT INTO series (id, name, frequency, metadata, created_at)
SELECT i, 's' || lpad(i::text, 5, '0'), 'D', '{}'::jsonb, now() FROM generate_series(1, 1000) AS i;
INSERT INTO observations (series_id, ts, value, updated_at)
SELECT s, timestamptz '2022-01-01' + (d || ' days')::interval, 100 + s + sin(d / 7.0) * 10, now()
FROM generate_series(1, 1000) AS s, generate_series(0, 999) AS d;
"""


def _load_demo(url: str) -> int:
    from core.db.repositories.observations import upsert_panel
    from models.datasets import load_tourism

    train, test = load_tourism("monthly")
    import pandas as pd

    panel = pd.concat([train, test], ignore_index=True)
    engine = make_engine(url)
    with session_scope(engine) as session:
        upsert_panel(session, panel, frequency="MS")
    engine.dispose()
    return len(panel)


def _load_million(url: str) -> int:
    engine = make_engine(url)
    with engine.begin() as connection:
        for statement in MILLION_SQL.strip().split(";\n"):
            connection.execute(text(statement))
        rows = connection.scalar(text("SELECT count(*) FROM observations"))
    engine.dispose()
    return int(rows)


def _mlflow_with_champion(root: Path) -> tuple[str, Path]:
    import mlflow

    from core.registry import ModelRegistry
    from models.artifact import ModelManifest, save_model_dir
    from models.datasets import synthetic_panel
    from models.forecaster import LightGBMForecaster
    from models.mlflow_pyfunc import ARTIFACT_KEY, QuantisPythonModel

    artifacts, uri = root / "artifacts", f"sqlite:///{root / 'mlflow.db'}"
    artifacts.mkdir(parents=True)
    model = LightGBMForecaster.from_defaults(
        "MS", 12, 24, num_boost_round=50, interval_windows=0, combine_with=()
    ).fit(synthetic_panel(20, 120, "MS"))
    save_model_dir(model, root / "model", ModelManifest("LightGBMForecaster", "MS", 12, 24))
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.create_experiment("quantis", artifact_location=artifacts.as_uri())
    with mlflow.start_run(experiment_id=experiment):
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=QuantisPythonModel(),
            artifacts={ARTIFACT_KEY: str(root / "model")},
            pip_requirements=[],
        )
    registry = ModelRegistry(uri, MODEL_NAME, registry_uri=uri)
    registry.promote(registry.register(info.model_uri).version)
    return uri, artifacts


def _case(
    label: str, source: str, target: str, rows: int, work: Path, mlflow: tuple[str, Path] | None
) -> dict[str, Any]:
    databases = [DatabaseSource(OPERATIONAL_DATABASE, source)]
    folders = []
    if mlflow is not None:
        databases.append(DatabaseSource(MLFLOW_DATABASE, mlflow[0]))
        folders.append(FolderSource(MLFLOW_ARTIFACTS, str(mlflow[1])))
    store = open_object_store(str(work / f"store-{label}"))
    backup = create_backup(BackupSources(tuple(databases), tuple(folders)), store)
    manifest = backup.manifest
    operational = manifest.database(OPERATIONAL_DATABASE)
    restored = restore_backup(store, manifest.backup_id, RestoreTargets(database_url=target))
    return {
        "case": label,
        "observations": rows,
        "backup_seconds": round(backup.seconds, 2),
        "backup_bytes": manifest.total_bytes,
        "operational_dump_bytes": manifest.file(operational.key).size,
        "restore_seconds": round(restored.seconds, 2),
        "rows_verified": restored.rows_verified,
        "store": store,
        "backup_id": manifest.backup_id,
    }


def _drill(case: dict[str, Any], pg_url: str) -> dict[str, Any]:
    from orchestration.defs.backup.champion import champion_check

    report = run_drill(
        case["store"],
        backup_id=case["backup_id"],
        champion_check=champion_check(MODEL_NAME),
        postgres_server_url=pg_url,
    )
    return {
        "backup_id": report.backup_id,
        "rto_seconds": round(report.rto_seconds, 2),
        "restore_seconds": round(report.restore_seconds, 2),
        "rpo_seconds_at_drill": round(report.rpo_seconds, 1),
        "rows_verified": report.rows_verified,
        "champion": report.champion,
    }


def _table(cases: list[dict[str, Any]], drill: dict[str, Any]) -> str:
    lines = [
        "| case | observations | backup s | backup MiB | DB dump MiB | restore+verify s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in cases:
        lines.append(
            f"| {c['case']} | {c['observations']:,} | {c['backup_seconds']} | "
            f"{c['backup_bytes'] / 2**20:.2f} | {c['operational_dump_bytes'] / 2**20:.2f} | "
            f"{c['restore_seconds']} |"
        )
    lines.append("")
    lines.append(
        f"DR drill on `{drill['backup_id']}` (demo, PostgreSQL + MLflow): measured RTO "
        f"{drill['rto_seconds']} s (restore and verify {drill['restore_seconds']} s, then the "
        f"champion downloaded, loaded and forecast {drill['champion'].get('forecast_rows')} rows)."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    from benchmarks._machine import machine_info, write_results
    from core.runtime import apply_offline_defaults

    apply_offline_defaults()
    machine = machine_info()
    created: list[str] = []

    def fresh_pg(label: str) -> str:
        url = pg.scratch_database_url(args.pg_url, f"quantis_bench_{label}")
        pg.create_database(url)
        created.append(url)
        return url

    cases = []
    with tempfile.TemporaryDirectory(prefix="quantis-bench-backup-") as folder:
        work = Path(folder)
        try:
            mlflow = _mlflow_with_champion(work / "mlflow")
            sqlite_source = f"sqlite:///{work / 'demo.db'}"
            upgrade(sqlite_source)
            rows = _load_demo(sqlite_source)
            target = f"sqlite:///{work / 'demo-restored.db'}"
            cases.append(_case("demo-sqlite", sqlite_source, target, rows, work, mlflow))
            pg_source = fresh_pg("demo")
            upgrade(pg_source)
            _load_demo(pg_source)
            demo_pg = _case("demo-postgresql", pg_source, fresh_pg("t1"), rows, work, mlflow)
            cases.append(demo_pg)
            million = fresh_pg("million")
            upgrade(million)
            rows = _load_million(million)
            cases.append(_case("1m-postgresql", million, fresh_pg("t2"), rows, work, None))
            drill = _drill(demo_pg, args.pg_url)
        finally:
            for url in created:
                pg.drop_database(url)
    for case in cases:
        case.pop("store")
    path = write_results("backup", {"cases": cases, "drill": drill}, _table(cases, drill), machine)
    print(_table(cases, drill))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
