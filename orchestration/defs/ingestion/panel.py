"""The curated panel (read from the DB by `core.db.repositories.observations.read_panel`):
screen its series, fingerprint it, snapshot it as Parquet."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from core.storage import ObjectStore
from models.validation import PanelValidationError, infer_freq, season_length_for, validate_panel

__all__ = [
    "COVARIATES_COMPLETE",
    "PANEL_CHECKS",
    "SeriesScreening",
    "describe_missing",
    "missing_covariate_values",
    "panel_fingerprint",
    "read_panel_snapshot",
    "screen_series",
    "write_panel_snapshot",
]

COVARIATES_COMPLETE = "covariates_complete"
PANEL_CHECKS = {
    "regular_frequency": "Every series has evenly spaced timestamps at the panel's frequency.",
    "min_history_length": "Every series has enough history to be trained on.",
    COVARIATES_COMPLETE: "Every series has a value of each declared static and known-in-advance "
    "covariate on each of its dates (a dataset without such covariates passes).",
}
_PROBLEM_TO_CHECK = {
    "off_grid": "regular_frequency",
    "gap": "regular_frequency",
    "too_short": "min_history_length",
}


def panel_fingerprint(panel: pd.DataFrame, covariates: Sequence[str] = ()) -> str:
    """A content hash of the panel: same rows (and values of the named covariate columns),
    same fingerprint; without covariates, the hash of `unique_id`, `ds` and `y` alone."""
    columns = ["unique_id", "ds", "y", *covariates]
    hashed = pd.util.hash_pandas_object(panel[columns], index=False)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()


def write_panel_snapshot(store: ObjectStore, panel: pd.DataFrame, run_id: str) -> str:
    """Write the panel as Parquet under `panels/` and return its key (keys sort by time)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    key = f"panels/{stamp}-{run_id}.parquet"
    buffer = io.BytesIO()
    panel.to_parquet(buffer, index=False)
    store.put_bytes(key, buffer.getvalue())
    return key


def read_panel_snapshot(store: ObjectStore, key: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(store.get_bytes(key)))


@dataclass
class SeriesScreening:
    """Which series can be trained on, and why the others cannot."""

    freq: str | None
    season_length: int | None
    total_series: int
    training_series: list[str]
    excluded: dict[str, list[str]] = field(default_factory=dict)  # check name -> series
    messages: dict[str, list[str]] = field(default_factory=dict)

    def check_results(self, max_bad_share: float):
        """One AssetCheckResult per panel check; ERROR when too many series fail it."""
        for name in PANEL_CHECKS:
            failing = sorted(set(self.excluded.get(name, [])))
            share = len(failing) / self.total_series if self.total_series else 0.0
            yield dg.AssetCheckResult(
                check_name=name,
                passed=not failing,
                severity=(
                    dg.AssetCheckSeverity.ERROR
                    if share > max_bad_share or not self.training_series
                    else dg.AssetCheckSeverity.WARN
                ),
                metadata={
                    "checked_series": self.total_series,
                    "failed_series": len(failing),
                    "failed_share": float(share),
                    "examples": ", ".join(failing[:10]),
                    "detail": " | ".join(self.messages.get(name, []))[:2000],
                },
            )


def missing_covariate_values(panel: pd.DataFrame, names: Sequence[str]) -> list[dict]:
    """One record per (series, covariate) whose column in `panel` lacks a value on some of the
    series' dates: `unique_id`, `covariate` and those `dates` (as
    `MissingFutureCovariatesError.missing` names a horizon's), series in order."""
    missing = []
    for name in names:
        lacking = panel.loc[panel[name].isna(), ["unique_id", "ds"]]
        for uid, rows in lacking.groupby("unique_id", sort=True):
            dates = [str(d.date()) if d == d.normalize() else str(d) for d in rows["ds"]]
            missing.append({"unique_id": str(uid), "covariate": name, "dates": dates})
    return sorted(missing, key=lambda m: m["unique_id"])


def describe_missing(record: dict, shown: int = 5) -> str:
    """`covariate 'price' has no value on 2024-01-03, ... (+n more)` for one record."""
    dates = record["dates"]
    more = f" (+{len(dates) - shown} more)" if len(dates) > shown else ""
    return f"covariate {record['covariate']!r} has no value on {', '.join(dates[:shown])}{more}"


def screen_series(
    panel: pd.DataFrame,
    min_history: int = 0,
    *,
    frequency: str | None = None,
    season_length: int | None = None,
    covariates: Sequence[str] = (),
) -> SeriesScreening:
    """Find the panel's frequency (the dataset's `frequency` when it is fixed, else inferred)
    and the series that are regular and long enough and, for each of the named `covariates`
    (the panel's static and known-in-advance columns), hold a value on every date.

    `min_history=0` means two seasons plus one point; `season_length` None: the frequency's.
    """
    all_series = sorted(panel["unique_id"].unique().tolist()) if len(panel) else []
    if not all_series:
        return SeriesScreening(None, None, 0, [])
    try:
        freq = frequency or infer_freq(panel)
    except PanelValidationError as exc:
        return SeriesScreening(
            None, None, len(all_series), [], {"regular_frequency": all_series},
            {"regular_frequency": [str(exc)]},
        )  # fmt: skip
    season_length = season_length or season_length_for(freq)
    needed = min_history or 2 * season_length + 1
    excluded: dict[str, list[str]] = {}
    messages: dict[str, list[str]] = {}
    try:
        validate_panel(panel, freq=freq, min_length=needed)
    except PanelValidationError as exc:
        for problem in exc.problems:
            check = _PROBLEM_TO_CHECK.get(problem.kind, "regular_frequency")
            excluded.setdefault(check, []).extend(str(s) for s in problem.series)
            messages.setdefault(check, []).append(problem.message)
    for record in missing_covariate_values(panel, covariates):
        excluded.setdefault(COVARIATES_COMPLETE, []).append(record["unique_id"])
        messages.setdefault(COVARIATES_COMPLETE, []).append(
            f"series {record['unique_id']!r}: {describe_missing(record)}"
        )
    dropped = {s for series in excluded.values() for s in series}
    training = [s for s in all_series if s not in dropped]
    return SeriesScreening(freq, season_length, len(all_series), training, excluded, messages)
