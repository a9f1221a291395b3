"""The curated panel (read from the DB by `core.db.repositories.observations.read_panel`):
screen its series, fingerprint it, snapshot it as Parquet, all of it a part (a group of whole
series) at a time (`orchestration.defs.ingestion.curated`), with what the whole panel gives."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.storage import ObjectStore
from models.validation import (
    PanelProblem,
    PanelValidationError,
    frequency_sample,
    infer_freq,
    merge_problems,
    season_length_for,
    validate_panel,
)

__all__ = [
    "COVARIATES_COMPLETE",
    "PANEL_CHECKS",
    "PanelFingerprint",
    "PanelScreen",
    "PanelSnapshotWriter",
    "SeriesScreening",
    "describe_missing",
    "missing_covariate_values",
    "panel_fingerprint",
    "read_panel_snapshot",
    "screen_series",
    "snapshot_key",
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


class PanelFingerprint:
    """`panel_fingerprint` of a panel fed a part at a time, in the panel's order: a row's hash
    depends on that row alone, so the parts' hashes one after another are the whole panel's."""

    def __init__(self, covariates: Sequence[str] = ()) -> None:
        self.columns = ["unique_id", "ds", "y", *covariates]
        self._digest = hashlib.sha256()

    def add(self, part: pd.DataFrame) -> None:
        hashed = pd.util.hash_pandas_object(part[self.columns], index=False)
        self._digest.update(hashed.to_numpy().tobytes())

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def panel_fingerprint(panel: pd.DataFrame, covariates: Sequence[str] = ()) -> str:
    """A content hash of the panel: same rows (and values of the named covariate columns),
    same fingerprint; without covariates, the hash of `unique_id`, `ds` and `y` alone."""
    fingerprint = PanelFingerprint(covariates)
    fingerprint.add(panel)
    return fingerprint.hexdigest()


def snapshot_key(run_id: str) -> str:
    """Where a run's panel snapshot goes: under `panels/`, keys sorting by time."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"panels/{stamp}-{run_id}.parquet"


class PanelSnapshotWriter:
    """The panel as one Parquet file written a part at a time (a row group or more each) to a
    local file, then put to the object store (streamed) under `key`; `read_panel_snapshot`
    reads it whole as it read a panel written at once (`DataFrame.to_parquet`).

    A categorical column (`categorical`) without a value in the first part takes the string
    type, so that later parts with values fit (numeric columns are float64 whatever their
    values)."""

    def __init__(self, path: Path, categorical: Sequence[str] = ()) -> None:
        self.path = Path(path)
        self.categorical = set(categorical)
        self._writer: pq.ParquetWriter | None = None

    def add(self, part: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(part, preserve_index=False)
        if self._writer is None:
            typed = [
                field.with_type(pa.string())
                if field.name in self.categorical and pa.types.is_null(field.type)
                else field
                for field in table.schema
            ]
            schema = pa.schema(typed, metadata=table.schema.metadata)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, schema, compression="snappy")
        if table.schema != self._writer.schema:
            table = table.cast(self._writer.schema)
        self._writer.write_table(table)

    def put(self, store: ObjectStore, key: str) -> str:
        """Close the file, put it to `store` under `key` and remove it; the key."""
        if self._writer is None:
            raise ValueError("a panel snapshot needs at least one part (an empty one will do)")
        self._writer.close()
        try:
            store.put_file(key, self.path)
        finally:
            self.path.unlink(missing_ok=True)
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


class PanelScreen:
    """`screen_series` of a panel fed a part at a time: `lengths` gives every series' number
    of rows first (indexed by name, in the panel's order), `read_series` the rows of the named
    series when the frequency must be inferred (from `frequency_sample`'s series, as over the
    whole panel); then each part (whole series, in the panel's order, `add`) is checked and
    `result()` is the whole panel's screening: the same frequency, series, checks and
    messages (rows named by their position in the whole panel)."""

    def __init__(
        self,
        lengths: pd.Series,
        read_series: Callable[[list[str]], pd.DataFrame],
        min_history: int = 0,
        *,
        frequency: str | None = None,
        season_length: int | None = None,
        covariates: Sequence[str] = (),
    ) -> None:
        self.all_series = sorted(str(name) for name in lengths.index)
        self.covariates = list(covariates)
        self._problems: list[list[PanelProblem]] = []
        self._missing: list[dict] = []
        self._rows_seen = 0
        self._failed: SeriesScreening | None = None
        self.freq: str | None = None
        self.season_length: int | None = None
        if not self.all_series:
            self._failed = SeriesScreening(None, None, 0, [])
            return
        try:
            self.freq = frequency or infer_freq(read_series(frequency_sample(lengths)))
        except PanelValidationError as exc:
            self._failed = SeriesScreening(
                None, None, len(self.all_series), [], {"regular_frequency": self.all_series},
                {"regular_frequency": [str(exc)]},
            )  # fmt: skip
            return
        self.season_length = season_length or season_length_for(self.freq)
        self.needed = min_history or 2 * self.season_length + 1

    def add(self, part: pd.DataFrame) -> None:
        """Check one part: whole series, following the parts added before it."""
        start, self._rows_seen = self._rows_seen, self._rows_seen + len(part)
        if self._failed is not None or not len(part):
            return
        placed = part.copy(deep=False)  # its rows named as in the whole panel
        placed.index = pd.RangeIndex(start, start + len(part))
        try:
            validate_panel(placed, freq=self.freq, min_length=self.needed)
        except PanelValidationError as exc:
            self._problems.append(exc.problems)
        self._missing.extend(missing_covariate_values(placed, self.covariates))

    def result(self) -> SeriesScreening:
        if self._failed is not None:
            return self._failed
        excluded: dict[str, list[str]] = {}
        messages: dict[str, list[str]] = {}
        for problem in merge_problems(self._problems):
            check = _PROBLEM_TO_CHECK.get(problem.kind, "regular_frequency")
            excluded.setdefault(check, []).extend(str(s) for s in problem.series)
            messages.setdefault(check, []).append(problem.message)
        for record in sorted(self._missing, key=lambda m: m["unique_id"]):
            excluded.setdefault(COVARIATES_COMPLETE, []).append(record["unique_id"])
            messages.setdefault(COVARIATES_COMPLETE, []).append(
                f"series {record['unique_id']!r}: {describe_missing(record)}"
            )
        dropped = {s for series in excluded.values() for s in series}
        training = [s for s in self.all_series if s not in dropped]
        return SeriesScreening(
            self.freq, self.season_length, len(self.all_series), training, excluded, messages
        )


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
    The whole panel as one part of a `PanelScreen`.
    """
    lengths = panel["unique_id"].value_counts(sort=False) if len(panel) else pd.Series()
    screen = PanelScreen(
        lengths, lambda _: panel, min_history, frequency=frequency,
        season_length=season_length, covariates=covariates,
    )  # fmt: skip
    screen.add(panel)
    return screen.result()
