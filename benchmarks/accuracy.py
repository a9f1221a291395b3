"""Accuracy benchmark: Tourism monthly (h=24) and quarterly (h=8), competition split.

Runs every method of `models.evaluate_methods` (the default combined model, plain LightGBM,
seasonal naive, AutoETS, Theta) and writes benchmarks/results/accuracy.{json,md}. With
`--before FIELD=VALUE ...` the default model runs a second time in the same invocation with
those settings (e.g. `ets_model=ZZZ`: the ETS member's full model space, as before), a row
`lightgbm_combined (before)` beside it.

    .venv/bin/python benchmarks/accuracy.py [--groups monthly quarterly] [--before ets_model=ZZZ]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._machine import machine_info, write_results
from models import evaluate_methods, load_tourism
from models.evaluation import DEFAULT_METHOD

# Best MASE published in the Tourism competition (Athanasopoulos et al., 2011), for context.
PUBLISHED_BEST = {"monthly": 1.38, "quarterly": 1.43, "yearly": 2.28}
# Nixtla's statistical ensemble (AutoARIMA, ETS, CES, Dynamic Optimized Theta) on the same split.
NIXTLA_ENSEMBLE = {"monthly": 1.441, "quarterly": 1.506}
TARGETS = {"monthly": 1.45, "quarterly": 1.50}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", nargs="+", default=["monthly", "quarterly"])
    parser.add_argument(
        "--methods", nargs="+", default=None, help="only these methods (default: all)"
    )
    parser.add_argument("--name", default="accuracy", help="results file name")
    parser.add_argument(
        "--before",
        nargs="+",
        default=[],
        metavar="FIELD=VALUE",
        help="also run the default model with these ForecasterConfig settings (JSON values)",
    )
    args = parser.parse_args()
    before = _settings(args.before)
    machine = machine_info()

    groups = {}
    rows = ["| group | method | MASE | sMAPE | RMSSE | cov 80 | cov 95 | seconds |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for group in args.groups:
        train, test = load_tourism(group)
        started = time.perf_counter()
        report = evaluate_methods(
            train,
            test,
            methods=args.methods,
            on_progress=lambda m, s, g=group: print(f"{g} {m} {s}", flush=True),
        )
        summary = report.to_dict()
        if before:
            previous = evaluate_methods(train, test, methods=[DEFAULT_METHOD], overrides=before)
            summary["before"] = {"settings": before, **previous.to_dict()}
            row = replace(previous.default, name=f"{DEFAULT_METHOD} (before)", default=False)
            report.methods.insert(1, row)
        summary["total_seconds"] = time.perf_counter() - started
        summary["published_best_mase"] = PUBLISHED_BEST.get(group)
        summary["target_mase"] = TARGETS.get(group)
        groups[group] = summary
        for m in report.methods:
            name = f"**{m.name}** (default)" if m.default else m.name
            rows.append(
                f"| {group} | {name} | {m.mase:.3f} | {m.smape:.2f} | {m.rmsse:.3f} | "
                f"{m.coverage['80']:.3f} | {m.coverage['95']:.3f} | {m.seconds:.1f} |"
            )
        print(f"{group}: default MASE {report.default.mase:.3f}", flush=True)
    notes = "\n\nPublished best MASE: " + ", ".join(
        f"{g} {PUBLISHED_BEST[g]}" for g in args.groups if g in PUBLISHED_BEST
    )
    notes += "; Nixtla's statistical ensemble: " + ", ".join(
        f"{g} {NIXTLA_ENSEMBLE[g]}" for g in args.groups if g in NIXTLA_ENSEMBLE
    )
    if before:
        notes += f"\n\n(before): the default model with {before}, same run."
    path = write_results(args.name, {"groups": groups}, "\n".join(rows) + notes, machine)
    print(f"wrote {path}")


def _settings(pairs: list[str]) -> dict:
    """`FIELD=VALUE` pairs as ForecasterConfig overrides (a value is JSON, else a string)."""
    settings = {}
    for pair in pairs:
        field, _, value = pair.partition("=")
        try:
            settings[field] = json.loads(value)
        except json.JSONDecodeError:
            settings[field] = value
    return settings


if __name__ == "__main__":
    main()
