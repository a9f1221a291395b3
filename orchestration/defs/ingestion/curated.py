"""The dataset's curated panel, a group of whole series at a time: read from the database,
joined with its stored covariates, screened, fingerprinted and written to one Parquet snapshot,
so that memory follows the group's size (`landing_chunk_rows` rows), not the dataset's.

The result is the one-piece panel's: the same snapshot rows in the same order, the same
fingerprint (`panel_fingerprint`), the same screening (`screen_series`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from core.datasets import DatasetConfig
from core.db.repositories.covariates import with_stored_covariates
from core.db.repositories.observations import read_panel, series_lengths
from core.storage import ObjectStore
from orchestration.defs.ingestion.panel import (
    PanelFingerprint,
    PanelScreen,
    PanelSnapshotWriter,
    SeriesScreening,
    snapshot_key,
)

__all__ = ["CuratedPanel", "curate_panel", "series_groups"]


@dataclass(frozen=True)
class CuratedPanel:
    """What the snapshot of a dataset's panel holds and says about it."""

    snapshot_key: str
    fingerprint: str
    screening: SeriesScreening
    rows: int
    series: list[str]  # in the panel's order
    parts: int  # groups of series read one at a time


def series_groups(lengths: pd.Series, group_rows: int) -> list[tuple[str, str, int]]:
    """Consecutive series (`lengths`: rows per series name, in the panel's order) in groups of
    at most `group_rows` rows, a series never split (a longer one is a group of its own):
    (first name, last name, rows) each."""
    if group_rows < 1:
        raise ValueError(f"group_rows must be >= 1, got {group_rows}")
    groups: list[tuple[str, str, int]] = []
    first = last = None
    rows = 0
    for name, count in lengths.items():
        if first is not None and rows + count > group_rows:
            groups.append((first, last, rows))
            first, rows = None, 0
        first = name if first is None else first
        last, rows = name, rows + int(count)
    if first is not None:
        groups.append((first, last, rows))
    return groups


def curate_panel(
    session_scope: Callable[[], AbstractContextManager[Session]],
    store: ObjectStore,
    folder: Path,
    rules: DatasetConfig,
    *,
    dataset_id: int,
    run_id: str,
    group_rows: int,
) -> CuratedPanel:
    """Snapshot the dataset's stored panel (`read_panel` with its static and known-in-advance
    covariates joined, `with_stored_covariates`) under `panels/`, `group_rows` rows of whole
    series at a time through a Parquet file in `folder`, screening and fingerprinting it on
    the way. The snapshot is put to `store` only once every group is written; a dataset whose
    rows change while it is read raises (nothing is put)."""
    valued = [c.name for c in rules.covariates if c.kind != "calendar"]
    categorical = [c.name for c in rules.covariates if c.type == "categorical"]
    key = snapshot_key(run_id)
    with session_scope() as session:
        lengths = series_lengths(session, dataset_id=dataset_id)
    rows = int(lengths.sum())

    def read_series(names: list[str]) -> pd.DataFrame:  # the few the frequency is inferred from
        with session_scope() as session:
            return pd.concat(
                [read_panel(session, dataset_id=dataset_id, names_between=(n, n)) for n in names],
                ignore_index=True,
            )

    screen = PanelScreen(
        lengths, read_series, rules.min_history, frequency=rules.frequency,
        season_length=rules.season_length, covariates=valued if rows else (),
    )  # fmt: skip
    fingerprint = PanelFingerprint(valued if rows else ())
    writer = PanelSnapshotWriter(folder / Path(key).name, categorical)
    groups = series_groups(lengths, group_rows)
    with session_scope() as session:
        for part in _parts(session, groups, dataset_id, rules):
            screen.add(part)
            fingerprint.add(part)
            writer.add(part)
            del part
    writer.put(store, key)
    return CuratedPanel(
        snapshot_key=key,
        fingerprint=fingerprint.hexdigest(),
        screening=screen.result(),
        rows=rows,
        series=[str(name) for name in lengths.index],
        parts=max(len(groups), 1),
    )


def _parts(
    session: Session, groups: list[tuple[str, str, int]], dataset_id: int, rules: DatasetConfig
) -> Iterator[pd.DataFrame]:
    """Each group's panel with its covariates; a dataset without rows gives its empty panel
    (as `read_panel` reads it: no covariate columns)."""
    if not groups:
        yield read_panel(session, dataset_id=dataset_id)
        return
    for first, last, expected in groups:
        part = read_panel(session, dataset_id=dataset_id, names_between=(first, last))
        if len(part) != expected:
            raise RuntimeError(
                f"series {first!r} to {last!r} hold {len(part)} rows, {expected} a moment ago: "
                "the dataset changed while its panel was read; run the step again"
            )
        yield with_stored_covariates(session, part, rules.covariates, dataset_id=dataset_id)
