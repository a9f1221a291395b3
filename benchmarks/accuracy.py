"""Accuracy benchmark: Tourism monthly (h=24) and quarterly (h=8), competition split.

Runs every method of `models.evaluate_methods` (the default combined model, plain LightGBM,
seasonal naive, AutoETS, Theta) and writes benchmarks/results/accuracy.{json,md}.

    .venv/bin/python benchmarks/accuracy.py [--groups monthly quarterly]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._machine import machine_info, write_results
from models import evaluate_methods, load_tourism

# Best MASE published in the Tourism competition (Athanasopoulos et al., 2011), for context.
PUBLISHED_BEST = {"monthly": 1.38, "quarterly": 1.43, "yearly": 2.28}
TARGETS = {"monthly": 1.45, "quarterly": 1.50}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", nargs="+", default=["monthly", "quarterly"])
    parser.add_argument(
        "--methods", nargs="+", default=None, help="only these methods (default: all)"
    )
    parser.add_argument("--name", default="accuracy", help="results file name")
    args = parser.parse_args()
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
    path = write_results(args.name, {"groups": groups}, "\n".join(rows) + notes, machine)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
