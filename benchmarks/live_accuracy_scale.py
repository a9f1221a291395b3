"""Live accuracy at scale: scoring one day for N daily series after 30 nightly batches.

Setup (untimed) in a fresh migrated PostgreSQL database: N daily series with 730 points of
history and then 30 days of actuals (`upsert_panel`); 30 nightly batches, one a day, each
forecasting every series 28 days ahead with 80/95% intervals from that day's data cut-off
(`save_forecasts_bulk`, kind `batch`, as `batch_forecasts` stores them; `--setup copy`
writes the same rows, payload text included, by one COPY per table a night). The day scored is
the first target of the last batch: 28 batches forecast it, so every series has 28 points
on it, one per origin, and its actuals are in.

Timed, in one process, each path twice (the better run counts; the first warms the caches):
- `targets`: `score_day` as monitoring runs it (the day's points read through the
  `forecast_targets` date index, the day's actuals only, the MASE scales computed in the
  database by `seasonal_scales`);
- `payloads`: `score_day` with the earlier `forecast_points`, kept here verbatim, which
  reads every stored forecast of the model and its JSON payload to find the day's points
  (the scales as on `history`).
- `history`: `score_day` with the MASE scales as they were computed before: every
  observation of the day's series read into Python (the path SQLite, or a series without a
  recorded frequency, still takes); the day's points read as on `targets`.
All must give the same rows (MASE to 1e-9 relative: the database sums in another order).
The points read alone (`forecast_points`) are timed too.

    .venv/bin/python benchmarks/live_accuracy_scale.py [--series 1000] [--batches 30] [--horizon 28] [--paths targets history payloads] [--name live_accuracy_scale]

Needs PostgreSQL (QUANTIS_BENCH_POSTGRES_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres); a database `i26_live_accuracy` is
created and dropped. Writes benchmarks/results/live_accuracy_scale.{json,md}.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._machine import machine_info, write_results

DB_NAME = "i26_live_accuracy"
MODEL = "quantis-forecaster"
LEVELS = (80, 95)
HISTORY = 730


def payload_forecast_points(session, *, start, before, model_name=None, series_id=None):
    """`core.db.repositories.live_accuracy.forecast_points` before `forecast_targets` (at
    d5c8038), verbatim: every forecast of the model is read to find the window's points."""
    from sqlalchemy import select

    from core.db.repositories.live_accuracy import ForecastPoint
    from core.db.tables import Forecast, Series
    from core.db.types import as_utc

    def _moment(text: str) -> datetime:
        return as_utc(datetime.fromisoformat(text))

    start, before = as_utc(start), as_utc(before)
    query = select(Forecast, Series.name).join(Series, Series.id == Forecast.series_id)
    if model_name is not None:
        query = query.where(Forecast.model_name == model_name)
    if series_id is not None:
        query = query.where(Forecast.series_id == series_id)
    query = query.order_by(Forecast.created_at, Forecast.id)
    newest: dict[tuple[str, int, datetime], ForecastPoint] = {}
    for forecast, name in session.execute(query):
        if not forecast.payload:
            continue
        origin = _moment(forecast.payload[0]["ds"])
        for point in forecast.payload:
            ds = _moment(point["ds"])
            if start <= ds < before:
                key = (forecast.model_version, forecast.series_id, ds)
                newest[key] = ForecastPoint(
                    model_version=forecast.model_version,
                    series_id=forecast.series_id,
                    series_name=name,
                    ds=ds,
                    origin=origin,
                    yhat=float(point["yhat"]),
                    lo=dict(point.get("lo") or {}),
                    hi=dict(point.get("hi") or {}),
                    forecast_id=forecast.id,
                )
    return sorted(newest.values(), key=lambda p: (p.model_version, p.series_name, p.ds))


def _database(server_url: str) -> str:
    from sqlalchemy import create_engine, make_url, text

    from core.db.migrate import upgrade

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DB_NAME}"))
    admin.dispose()
    url = make_url(server_url).set(database=DB_NAME).render_as_string(hide_password=False)
    upgrade(url)
    return url


def _drop(server_url: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"))
    admin.dispose()


def _copy_night(session, ids, request_id, cutoff, horizon, yhat, lo, hi) -> None:
    """One night's batch forecasts written as `save_forecasts_bulk` writes them (the same
    rows, payload text included), formatted here a row at a time and sent by one text COPY
    per table: the setup at 10,000 series in minutes, not most of an hour."""
    from core.db.repositories.forecasts import _new_forecast_ids
    from core.db.types import utc_now

    created = utc_now().isoformat()
    names = list(ids)
    forecast_ids = _new_forecast_ids(session, len(names))
    days = [(cutoff + timedelta(days=step + 1)).isoformat() for step in range(horizon)]
    origin = days[0]
    yhat, lo, hi = (
        yhat.tolist(),
        {k: v.tolist() for k, v in lo.items()},
        {k: v.tolist() for k, v in hi.items()},
    )
    forecasts, targets = [], []
    for row, name in enumerate(names):
        points = []
        for step in range(horizon):
            bounds = {
                side: "{"
                + ",".join(f'"{lv}":{side_values[lv][row][step]!r}' for lv in LEVELS)
                + "}"
                for side, side_values in (("lo", lo), ("hi", hi))
            }
            value = yhat[row][step]
            points.append(
                f'{{"ds":"{days[step]}","yhat":{value!r},"lo":{bounds["lo"]},"hi":{bounds["hi"]}}}'
            )
            targets.append(
                f"{forecast_ids[row]}\t{step}\t{days[step]}\t{origin}\t{value!r}\t"
                f"{bounds['lo']}\t{bounds['hi']}\n"
            )
        levels = "[" + ",".join(str(level) for level in LEVELS) + "]"
        forecasts.append(
            f"{forecast_ids[row]}\t{request_id}\t{ids[name]}\t{MODEL}\t1\t{horizon}\t{levels}\t"
            f"[{','.join(points)}]\tbatch\t{cutoff.isoformat()}\t{created}\n"
        )
    raw = session.connection().connection.dbapi_connection
    with raw.cursor() as cursor:
        columns = (
            "id, request_id, series_id, model_name, model_version, horizon, levels, payload, "
            "kind, data_cutoff, created_at"
        )
        with cursor.copy(f"COPY forecasts ({columns}) FROM STDIN") as copy:
            copy.write("".join(forecasts))
        columns = "forecast_id, step, ds, origin, yhat, lo, hi"
        with cursor.copy(f"COPY forecast_targets ({columns}) FROM STDIN") as copy:
            copy.write("".join(targets))


def setup(
    engine, series: int, batches: int, horizon: int, seed: int, by_copy: bool = False
) -> tuple[datetime, dict]:
    """Observations and the nightly batches; returns the day to score and the setup times."""
    import numpy as np

    from core.db.engine import session_scope
    from core.db.repositories.forecasts import NewForecast, save_forecasts_bulk
    from core.db.repositories.observations import upsert_panel
    from models.datasets import synthetic_panel

    started = time.perf_counter()
    panel = synthetic_panel(series, HISTORY + batches, "D", seed=seed)
    with session_scope(engine) as session:
        upsert_panel(session, panel, frequency="D")
    load_s = time.perf_counter() - started
    ids = {f"s{i:05d}": i + 1 for i in range(series)}  # created in name order
    values = panel["y"].to_numpy().reshape(series, HISTORY + batches)
    first_day = panel["ds"].iloc[0].to_pydatetime().replace(tzinfo=UTC)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    for night in range(batches):
        cutoff = first_day + timedelta(days=HISTORY - 1 + night)  # the last observation used
        last = values[:, HISTORY - 1 + night]
        noise = rng.normal(0.0, 0.05, size=(series, horizon)) * last[:, None]
        yhat = last[:, None] + noise
        if by_copy:
            lo = {level: yhat - level / 10 * last[:, None] for level in LEVELS}
            hi = {level: yhat + level / 10 * last[:, None] for level in LEVELS}
            with session_scope(engine) as session:
                _copy_night(session, ids, f"batch-{night}", cutoff, horizon, yhat, lo, hi)
            continue
        forecasts = [
            NewForecast(
                series_id=ids[name],
                request_id=f"batch-{night}",
                model_name=MODEL,
                model_version="1",
                horizon=horizon,
                levels=LEVELS,
                points=[
                    {
                        "ds": cutoff + timedelta(days=step + 1),
                        "yhat": yhat[row, step],
                        "lo": {level: yhat[row, step] - level / 10 * last[row] for level in LEVELS},
                        "hi": {level: yhat[row, step] + level / 10 * last[row] for level in LEVELS},
                    }
                    for step in range(horizon)
                ],
                kind="batch",
                data_cutoff=cutoff,
            )
            for row, name in enumerate(ids)
        ]
        with session_scope(engine) as session:
            save_forecasts_bulk(session, forecasts)
    batches_s = time.perf_counter() - started
    day = first_day + timedelta(days=HISTORY + batches - 1)  # the last batch's first target
    return day, {"load_observations_s": round(load_s, 1), "store_batches_s": round(batches_s, 1)}


def _timed(function, repeats: int = 2):
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return round(best, 2), result


PATHS = ("targets", "history", "payloads")


def measure(engine, day: datetime, paths: tuple[str, ...] = PATHS) -> dict:
    from core.db.engine import session_scope
    from core.db.repositories import live_accuracy
    from orchestration.defs.monitoring import scoring

    readers = {
        "targets": live_accuracy.forecast_points,
        "history": live_accuracy.forecast_points,
        "payloads": payload_forecast_points,
    }
    start, before = scoring.day_bounds(day.date())
    runs, scores = {}, {}
    for path in paths:
        reader = readers[path]
        with session_scope(engine) as session:
            points_s, points = _timed(
                lambda reader=reader, session=session: reader(
                    session, start=start, before=before, model_name=MODEL
                )
            )
        original, in_database = scoring.forecast_points, scoring.can_compute_scales
        scoring.forecast_points = reader
        if path != "targets":  # the scales from every observation read into Python
            scoring.can_compute_scales = lambda session: False
        try:
            with session_scope(engine) as session:
                score_s, score = _timed(
                    lambda session=session: scoring.score_day(session, day.date(), MODEL)
                )
        finally:
            scoring.forecast_points, scoring.can_compute_scales = original, in_database
        scores[path] = score
        runs[path] = {
            "points_read_s": points_s,
            "points": len(points),
            "score_day_s": score_s,
            "rows": len(score.rows),
            "scored_points": score.scored_points,
        }
    first, *others = scores.values()
    for other in others:
        if not _same_score(first, other):
            raise SystemExit("the paths scored the day differently")
    return runs


def _same_score(one, other) -> bool:
    """The same rows (MASE equal to 1e-9 relative: the database sums the scales' terms in
    another order than pandas)."""
    import math

    if (one.scored_points, one.pending_points, one.levels) != (
        other.scored_points, other.pending_points, other.levels,
    ):  # fmt: skip
        return False
    if len(one.rows) != len(other.rows):
        return False
    for a, b in zip(one.rows, other.rows, strict=True):
        if (a.model_version, a.series_id, a.points, a.smape, a.bias, a.mae, a.coverage) != (
            b.model_version, b.series_id, b.points, b.smape, b.bias, b.mae, b.coverage,
        ):  # fmt: skip
            return False
        if (a.mase is None) != (b.mase is None) or (
            a.mase is not None and not math.isclose(a.mase, b.mase, rel_tol=1e-9)
        ):
            return False
    return True


def _table(runs: dict, payload: dict) -> str:
    lines = [
        "| path | score_day s | of which points read s | points | rows scored |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for path, run in runs.items():
        lines.append(
            f"| {path} | {run['score_day_s']} | {run['points_read_s']} | {run['points']:,} "
            f"| {run['rows']:,} |"
        )
    return "\n".join(lines) + (
        f"\n\n{payload['series']:,} series, {payload['batches']} nightly batches of "
        f"h={payload['horizon']} ({payload['stored_forecasts']:,} forecasts, "
        f"{payload['stored_points']:,} points stored); day scored {payload['day']}. "
        f"Same rows on every path. Setup: {payload['setup']}. Peak RSS "
        f"{payload['peak_rss_mib']:.0f} MiB (the whole process).\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=list(PATHS))
    parser.add_argument("--name", default="live_accuracy_scale", help="results file name")
    parser.add_argument(
        "--setup",
        choices=["bulk", "copy"],
        default="bulk",
        help="store the batches with save_forecasts_bulk, or the same rows by one COPY a night",
    )
    args = parser.parse_args()
    if args.batches < 1 or args.horizon < 1:
        parser.error("--batches and --horizon must be >= 1")
    machine = machine_info()
    from sqlalchemy import func, select

    from core.db.engine import make_engine, session_scope
    from core.db.tables import Forecast, ForecastTarget

    server = os.environ.get(
        "QUANTIS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    url = _database(server)
    engine = make_engine(url)
    try:
        day, setup_s = setup(
            engine, args.series, args.batches, args.horizon, args.seed, args.setup == "copy"
        )
        print("setup", setup_s, flush=True)
        with session_scope(engine) as session:
            forecasts = session.scalar(select(func.count()).select_from(Forecast))
            points = session.scalar(select(func.count()).select_from(ForecastTarget))
        runs = measure(engine, day, tuple(args.paths))
    finally:
        engine.dispose()
        _drop(server)
    payload = {
        "series": args.series,
        "batches": args.batches,
        "horizon": args.horizon,
        "day": day.date().isoformat(),
        "stored_forecasts": forecasts,
        "stored_points": points,
        "setup": setup_s,
        "runs": runs,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(runs, flush=True)
    print(write_results(args.name, payload, _table(runs, payload), machine))


if __name__ == "__main__":
    main()
