"""Live accuracy on the demo data after a simulated week of actuals.

Run after `quantis up --once` (the bundled Tourism quarterly data, a trained champion) with the
same QUANTIS_HOME. It

1. forecasts every series with the champion as the model server would (its whole history, the
   model's horizon, levels 80 and 95) and stores the forecasts as the API does, under the
   champion's version;
2. simulates a week: on each of seven days the next quarter of the competition's test split
   (the actuals that really followed) lands in the landing area, the `ingestion` job loads it
   and the `monitoring` job materializes that quarter's partition (the day of its timestamp);
3. reports the champion's live figures (`core.db.repositories.live_accuracy`) beside its
   backtest MASE, and the drifted and stale series of each day (`series_drift`), and writes
   benchmarks/results/live_accuracy_week.{json,md}.

    QUANTIS_HOME=.quantis .venv/bin/python benchmarks/live_accuracy_week.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Integer

from benchmarks._machine import machine_info, write_results

DAYS = 7
LEVELS = [80, 95]


def _champion(settings):
    from core.mlflow_names import METRIC_BACKTEST_MASE
    from core.registry import ModelRegistry

    champion = ModelRegistry(
        settings.mlflow_tracking_uri, settings.registered_model_name
    ).champion()
    if champion is None:
        raise SystemExit("no champion: run `quantis up --once` with this QUANTIS_HOME first")
    return champion.version, champion.metrics.get(METRIC_BACKTEST_MASE)


def _load_model(settings, version: str, scratch: Path):
    from models.artifact import load_model_dir
    from orchestration.resources import MLflowTracking

    tracking = MLflowTracking(
        tracking_uri=settings.mlflow_tracking_uri,
        artifact_root=settings.mlflow_artifact_root,
        model_name=settings.registered_model_name,
    )
    return load_model_dir(tracking.model_version_dir(version, scratch))


def store_champion_forecasts(settings, version: str, scratch: Path) -> int:
    """Forecast every series from its whole history and store it as the API would."""
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.forecasts import save_forecast
    from core.db.repositories.observations import read_panel
    from core.db.repositories.series import series_ids_by_name

    model, manifest = _load_model(settings, version, scratch)
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        panel = read_panel(session)
        frame = model.predict(manifest.horizon, levels=LEVELS, history=panel)
        ids = series_ids_by_name(session, panel["unique_id"].unique())
        for name, points in frame.groupby("unique_id"):
            save_forecast(
                session, request_id=f"week-{name}", series_id=ids[name],
                model_name=settings.registered_model_name, model_version=version,
                horizon=len(points), levels=LEVELS,
                points=[
                    {"ds": row.ds.to_pydatetime(), "yhat": row.yhat,
                     "lo": {lvl: getattr(row, f"yhat_lo_{lvl}") for lvl in LEVELS},
                     "hi": {lvl: getattr(row, f"yhat_hi_{lvl}") for lvl in LEVELS}}
                    for row in points.itertuples()
                ],
            )  # fmt: skip
    engine.dispose()
    return int(frame["unique_id"].nunique())


def _land(settings, quarter) -> None:
    from core.storage import open_object_store

    landing = open_object_store(settings.landing_url, s3_endpoint_url=settings.s3_endpoint_url)
    text = quarter[["unique_id", "ds", "y"]].to_csv(index=False)
    landing.put_bytes(f"actuals_{quarter['ds'].iloc[0]:%Y-%m-%d}.csv", text.encode())


def simulate_week(settings, days: int) -> list[str]:
    """Each day: land the next quarter, ingest it, score its partition."""
    import dagster as dg

    from models.datasets import load_tourism
    from orchestration.definitions import build_definitions
    from quantis.demo_data import DEMO_DATASETS

    DEMO_DATASET = DEMO_DATASETS[0].group  # the default dataset's Tourism group
    from quantis.pipeline_runner import run_pipeline

    _, test = load_tourism(DEMO_DATASET)
    quarters = sorted(test["ds"].unique())[:days]
    monitoring = build_definitions(settings).resolve_job_def("monitoring")
    scored = []
    for ds in quarters:
        _land(settings, test[test["ds"] == ds])
        if not run_pipeline(settings, job_name="ingestion").success:
            raise SystemExit(f"ingestion of {ds} failed; see the Dagster UI")
        key = f"{ds:%Y-%m-%d}"
        with dg.DagsterInstance.get() as instance:
            if not monitoring.execute_in_process(instance=instance, partition_key=key).success:
                raise SystemExit(f"monitoring of {key} failed; see the Dagster UI")
        scored.append(key)
        print(f"day {len(scored)}: actuals of {key} landed, ingested and scored", flush=True)
    return scored


def _drift_by_day(session) -> dict:
    """Partition day -> (series drifted, series stale)."""
    from sqlalchemy import func, select

    from core.db.tables import SeriesDrift

    query = select(
        SeriesDrift.partition_day,
        func.sum(SeriesDrift.drifted.cast(Integer)),
        func.sum(SeriesDrift.stale.cast(Integer)),
    ).group_by(SeriesDrift.partition_day)
    return {day: (int(drifted), int(stale)) for day, drifted, stale in session.execute(query)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=DAYS)
    args = parser.parse_args()
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.live_accuracy import daily_summaries, version_summary
    from core.runtime import apply_offline_defaults
    from core.settings import get_settings

    apply_offline_defaults()
    machine, settings = machine_info(), get_settings()
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    version, backtest = _champion(settings)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        series = store_champion_forecasts(settings, version, Path(scratch))
    scored = simulate_week(settings, args.days)
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        name = settings.registered_model_name
        summary = version_summary(session, version, model_name=name)
        daily = daily_summaries(session, version, model_name=name)
        drift = _drift_by_day(session)
    engine.dispose()
    rows = ["| day | series | points | live MASE | sMAPE | bias | cov 80 | cov 95 | drifted | stale |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for d in [*daily, {**summary, "day": "**all 7**"}]:
        drifted, stale = drift.get(d["day"], ("", ""))
        rows.append(
            f"| {d['day']} | {d['series']} | {d['points']} | {d['mase']:.3f} | {d['smape']:.2f} |"
            f" {d['bias']:.1f} | {d['coverage']['80']:.3f} | {d['coverage']['95']:.3f} |"
            f" {drifted} | {stale} |"
        )
    ratio = summary["mase"] / backtest if backtest else None
    notes = (
        f"\n\nChampion version {version}: backtest MASE {backtest:.3f}, live MASE "
        f"{summary['mase']:.3f} over the week (live / backtest {ratio:.2f}; the checks and the "
        f"alert call it degraded above {settings.accuracy_degradation_factor}). Forecasts of "
        f"{series} series made once from their whole history; day d scores the d-step-ahead "
        "points, so later days are further ahead."
    )
    payload = {
        "champion_version": version,
        "backtest_mase": backtest,
        "live": summary,
        "live_to_backtest": ratio,
        "daily": daily,
        "drifted_and_stale_by_day": {str(day): counts for day, counts in drift.items()},
        "scored_partitions": scored,
        "series_forecast": series,
        "seconds": time.perf_counter() - started,
    }
    path = write_results("live_accuracy_week", payload, "\n".join(rows) + notes, machine)
    print("\n".join(rows) + notes)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
