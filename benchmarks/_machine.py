"""Machine description and result writing shared by the benchmark scripts."""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["RESULTS_DIR", "machine_info", "write_results"]

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _load() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def machine_info() -> dict[str, Any]:
    """Cores, RAM, CPU model, Python and the load average now; call it when the run starts."""
    return {
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "load_average_at_start": _load(),
    }


def write_results(
    name: str, payload: dict[str, Any], markdown_table: str, machine: dict[str, Any]
) -> Path:
    """Write `<name>.json` and `<name>.md` under benchmarks/results/ and return the JSON path.

    `machine` is `machine_info()` taken at the start; the load at the end is added here (other
    work on the machine slows the timings).
    """
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    document = {
        "benchmark": name,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "machine": {**machine, "load_average_at_end": _load()},
        **payload,
    }
    json_path = RESULTS_DIR / f"{name}.json"
    json_path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    machine = document["machine"]
    header = (
        f"# {name}\n\nCommand: `{command}`  \nMachine: {machine['cores']} cores, "
        f"{machine['ram_gib']} GiB RAM, {machine['cpu_model']}; load average at start "
        f"{machine['load_average_at_start']}, at end {machine['load_average_at_end']}  \nFinished: {document['finished_at']}\n\n"
    )
    (RESULTS_DIR / f"{name}.md").write_text(header + markdown_table + "\n")
    return json_path
