"""The ETS member's model space on daily data: AutoETS choosing among every form (`ZZZ`),
additive errors only (`AZZ`), and additive errors with a damped trend (`AZZ damped`), scored
over rolling origins on real and synthetic daily panels.

Each origin estimates every series on its last `member_window` points (the combined model's
default for daily data, 140) and forecasts h=14; MASE (seasonal naive scale, season 7) and
sMAPE are averaged over series and origins. Estimation seconds are summed over origins, both
spaces in the same run. With Tourism in `accuracy.py --before ...`, the evidence behind
`models.config.DEFAULT_ETS_MODEL` and `DEFAULT_ETS_DAMPED`.

    python benchmarks/ets_model_space.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks._machine import machine_info, write_results  # noqa: E402 (after the path)

HORIZON = 14
SEASON = 7
# (label, AutoETS model, damped): damped None lets AutoETS choose, True allows damped trends only
SPACES = (("ZZZ", "ZZZ", None), ("AZZ", "AZZ", None), ("AZZ damped", "AZZ", True))


def _panels() -> dict[str, tuple[pd.DataFrame, int]]:
    """name -> (panel, origins): the Chicago stations over the last year, a synthetic panel."""
    from models.datasets import load_chicago_ridership, synthetic_panel

    chicago = load_chicago_ridership()[["unique_id", "ds", "y"]]
    synthetic = synthetic_panel(300, 140 + 4 * HORIZON, "D", seed=1)
    return {"chicago_20_stations": (chicago, 26), "synthetic_300": (synthetic, 4)}


def _score(
    panel: pd.DataFrame, origins: int, space: str, window: int, damped: bool | None = None
) -> dict:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, SeasonalNaive

    from models.metrics import per_series_metrics

    model = AutoETS(season_length=SEASON, model=space, damped=damped)
    last = panel["ds"].max()
    scores, seconds = [], 0.0
    for k in range(origins):
        cutoff = last - pd.Timedelta(days=HORIZON * (k + 1))
        history = panel[panel["ds"] <= cutoff].groupby("unique_id").tail(window)
        test = panel[(panel["ds"] > cutoff) & (panel["ds"] <= cutoff + pd.Timedelta(days=HORIZON))]
        engine = StatsForecast(
            models=[model], freq="D", n_jobs=1, fallback_model=SeasonalNaive(SEASON)
        )
        started = time.perf_counter()
        forecasts = engine.forecast(df=history, h=HORIZON)
        seconds += time.perf_counter() - started
        forecasts = forecasts.rename(columns={repr(model): "yhat"})[["unique_id", "ds", "yhat"]]
        scored = test.merge(forecasts, on=["unique_id", "ds"], validate="one_to_one")
        if len(scored) != len(test):
            raise RuntimeError(f"{space}: forecasts misaligned with the test rows")
        scores.append(
            per_series_metrics(scored.assign(cutoff=cutoff), history, season_length=SEASON)
        )
    metrics = pd.concat(scores)
    return {
        "seconds": seconds,
        "mase": float(metrics["mase"].mean()),
        "smape": float(metrics["smape"].mean()),
        "scored": len(metrics),
    }


def main() -> None:
    from models.config import default_config

    machine = machine_info()
    window = default_config("D", SEASON, HORIZON).member_window
    results: dict = {}
    for name, (panel, origins) in _panels().items():
        # warm statsforecast's compiled code outside the timings
        _score(panel[panel["unique_id"] == panel["unique_id"].iloc[0]], 1, "ZZZ", window)
        results[name] = {"origins": origins, "series": int(panel["unique_id"].nunique())}
        for label, space, damped in SPACES:
            results[name][label] = _score(panel, origins, space, window, damped)
            print(name, label, results[name][label], flush=True)
    lines = [
        f"AutoETS (season {SEASON}) on each series' last {window} points, h={HORIZON}, "
        "rolling origins every 14 days; seconds: estimation summed over origins.\n",
        "| panel | series x origins | space | MASE | sMAPE | seconds | seconds vs ZZZ |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        for space, _, _ in SPACES:
            r = result[space]
            share = r["seconds"] / result["ZZZ"]["seconds"]
            lines.append(
                f"| {name} | {result['series']} x {result['origins']} | {space} | "
                f"{r['mase']:.4f} | {r['smape']:.3f} | {r['seconds']:.1f} | {share:.0%} |"
            )
    path = write_results("ets_model_space", results, "\n".join(lines), machine)
    print("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
