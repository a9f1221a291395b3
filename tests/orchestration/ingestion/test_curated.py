"""The dataset's curated panel read, screened, fingerprinted and snapshotted a group of whole
series at a time gives what the whole panel read at once gives: the same snapshot rows, the
same fingerprint, the same screening (series, check results, messages), with and without
covariates, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import io

import pandas as pd
import pytest

from core.datasets import DatasetConfig
from core.db.engine import session_scope
from core.db.repositories.covariates import (
    upsert_covariate_values,
    upsert_static_covariates,
    with_stored_covariates,
)
from core.db.repositories.datasets import create_dataset
from core.db.repositories.observations import read_panel, series_lengths, upsert_panel
from core.storage import open_object_store
from orchestration.defs.ingestion.curated import curate_panel, series_groups
from orchestration.defs.ingestion.panel import (
    panel_fingerprint,
    read_panel_snapshot,
    screen_series,
)

COVARIATES = (
    {"name": "size", "kind": "static"},
    {"name": "region", "type": "categorical", "kind": "static"},
    {"name": "price"},
    {"name": "channel", "type": "categorical"},
)
GROUP_ROWS = 90  # three series of 30 points: ten groups and more


def _observations() -> pd.DataFrame:
    """Daily series of 30 points: s03 with a gap, s05 with a point off the grid, s06 and s11
    short, s09 hourly among the daily ones (irregular at the inferred frequency)."""
    frames = []
    for n in range(14):
        days = pd.date_range("2024-01-01", periods=30 if n not in (6, 11) else 6, freq="D")
        if n == 3:
            days = days.delete(10)
        if n == 9:
            days = pd.date_range("2024-01-01", periods=30, freq="h")
        frame = pd.DataFrame({"unique_id": f"s{n:02d}", "ds": days, "y": n + 0.1 * days.day})
        if n == 5:
            extra = {"unique_id": "s05", "ds": pd.Timestamp("2024-01-05 12:00"), "y": 1.5}
            frame = pd.concat([frame, pd.DataFrame([extra])])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _store_covariates(session, panel: pd.DataFrame, covariates, dataset_id: int) -> None:
    """Values with holes: no `region` for the first six series (a whole group without one),
    no `size` for s02, no `price` on two of s07's days, no `channel` of s12's own (the
    dataset's `channel` for every series on its first ten days only)."""
    names = sorted(panel["unique_id"].unique())
    static = pd.DataFrame({"unique_id": names, "size": [float(i) for i in range(len(names))]})
    upsert_static_covariates(session, static[static["unique_id"] != "s02"], covariates,
                             dataset_id=dataset_id)  # fmt: skip
    regions = static.iloc[6:].assign(region=lambda f: ["north", "south"] * (len(f) // 2))
    upsert_static_covariates(session, regions[["unique_id", "region"]], covariates,
                             dataset_id=dataset_id)  # fmt: skip
    values = panel[["unique_id", "ds"]].assign(price=panel["y"] * 2, channel="web")
    priced = values.drop(values[values["unique_id"] == "s07"].index[[3, 4]])
    upsert_covariate_values(session, priced[["unique_id", "ds", "price"]], covariates,
                            dataset_id=dataset_id)  # fmt: skip
    every = pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=10), "channel": "store"})
    upsert_covariate_values(session, every, covariates, dataset_id=dataset_id)
    upsert_covariate_values(session, values.loc[values["unique_id"] != "s12",
                            ["unique_id", "ds", "channel"]], covariates, dataset_id=dataset_id)  # fmt: skip


@pytest.fixture(params=["with covariates", "without covariates"])
def dataset(request, migrated_engine):
    covariates = COVARIATES if request.param == "with covariates" else ()
    rules = DatasetConfig(name="grouped", min_history=10, covariates=covariates)
    panel = _observations()
    with session_scope(migrated_engine) as session:
        dataset_id = create_dataset(session, rules).id
        upsert_panel(session, panel, dataset_id=dataset_id)
        if covariates:
            _store_covariates(session, panel, rules.covariates, dataset_id)
    return migrated_engine, rules, dataset_id


def _one_piece(engine, rules: DatasetConfig, dataset_id: int):
    """The whole panel at once, as the step read, screened, fingerprinted and wrote it before
    groups: the panel, its snapshot as read back, fingerprint and screening."""
    with session_scope(engine) as session:
        panel = read_panel(session, dataset_id=dataset_id)
        panel = with_stored_covariates(session, panel, rules.covariates, dataset_id=dataset_id)
    valued = [c.name for c in rules.covariates if c.kind != "calendar"] if len(panel) else []
    screening = screen_series(
        panel, rules.min_history, frequency=rules.frequency, season_length=rules.season_length,
        covariates=valued,
    )  # fmt: skip
    buffer = io.BytesIO()
    panel.to_parquet(buffer, index=False)
    return panel, pd.read_parquet(buffer), panel_fingerprint(panel, valued), screening


def _curated(engine, rules, dataset_id, tmp_path, group_rows):
    store = open_object_store(str(tmp_path / "objects"))
    curated = curate_panel(
        lambda: session_scope(engine), store, tmp_path / f"scratch-{group_rows}", rules,
        dataset_id=dataset_id, run_id=f"run{group_rows}", group_rows=group_rows,
    )  # fmt: skip
    return curated, read_panel_snapshot(store, curated.snapshot_key)


def _checks(screening) -> list[tuple]:
    return [
        (r.check_name, r.passed, r.severity, r.metadata)
        for r in screening.check_results(max_bad_share=0.5)
    ]


def test_groups_of_series_give_the_one_piece_panel(dataset, tmp_path):
    engine, rules, dataset_id = dataset
    panel, whole, fingerprint, screening = _one_piece(engine, rules, dataset_id)
    curated, snapshot = _curated(engine, rules, dataset_id, tmp_path, GROUP_ROWS)

    assert curated.parts > 4
    pd.testing.assert_frame_equal(snapshot, whole)
    assert curated.fingerprint == fingerprint
    assert curated.rows == len(panel)
    assert curated.series == panel["unique_id"].unique().tolist()
    assert curated.screening == screening
    assert _checks(curated.screening) == _checks(screening)
    # the data has a problem of every kind the screening knows
    assert screening.freq == "D"
    assert set(screening.excluded["regular_frequency"]) == {"s03", "s05", "s09"}
    assert set(screening.excluded["min_history_length"]) == {"s06", "s11"}
    if rules.covariates:
        assert set(screening.excluded["covariates_complete"]) >= {"s00", "s02", "s07", "s12"}
        assert set(snapshot.loc[snapshot["unique_id"] == "s12", "channel"].dropna()) == {"store"}
        assert snapshot.columns.tolist() == ["unique_id", "ds", "y", "size", "region", "price",
                                             "channel"]  # fmt: skip


def test_one_group_gives_the_snapshot_written_at_once(dataset, tmp_path):
    engine, rules, dataset_id = dataset
    _, whole, fingerprint, screening = _one_piece(engine, rules, dataset_id)
    curated, snapshot = _curated(engine, rules, dataset_id, tmp_path, 1_000_000)

    assert curated.parts == 1
    pd.testing.assert_frame_equal(snapshot, whole)
    assert (curated.fingerprint, curated.screening) == (fingerprint, screening)


def test_an_empty_dataset_gives_an_empty_snapshot(migrated_engine, tmp_path):
    rules = DatasetConfig(name="empty", covariates=COVARIATES)
    with session_scope(migrated_engine) as session:
        dataset_id = create_dataset(session, rules).id
    _, whole, fingerprint, screening = _one_piece(migrated_engine, rules, dataset_id)
    curated, snapshot = _curated(migrated_engine, rules, dataset_id, tmp_path, GROUP_ROWS)

    pd.testing.assert_frame_equal(snapshot, whole)
    assert len(snapshot) == 0 and snapshot.columns.tolist() == ["unique_id", "ds", "y"]
    assert (curated.fingerprint, curated.screening) == (fingerprint, screening)
    assert curated.rows == 0 and curated.series == []


def test_series_groups_keep_series_whole():
    lengths = pd.Series({"a": 2, "b": 5, "c": 1, "d": 1, "e": 9})
    assert series_groups(lengths, 3) == [
        ("a", "a", 2), ("b", "b", 5), ("c", "d", 2), ("e", "e", 9),
    ]  # fmt: skip
    assert series_groups(lengths, 100) == [("a", "e", 18)]
    assert series_groups(lengths.iloc[:0], 3) == []
    with pytest.raises(ValueError, match="group_rows"):
        series_groups(lengths, 0)


def test_series_lengths_follow_the_panels_order(dataset):
    engine, _, dataset_id = dataset
    with session_scope(engine) as session:
        panel = read_panel(session, dataset_id=dataset_id)
        lengths = series_lengths(session, dataset_id=dataset_id)
    pd.testing.assert_series_equal(lengths, panel["unique_id"].value_counts(sort=False))


def test_a_dataset_changing_while_it_is_read_puts_no_snapshot(migrated_engine, tmp_path):
    rules = DatasetConfig(name="moving", frequency="D")
    with session_scope(migrated_engine) as session:
        dataset_id = create_dataset(session, rules).id
        upsert_panel(session, _observations().iloc[:100], dataset_id=dataset_id)
    calls = []

    @contextlib.contextmanager
    def scope():
        calls.append(1)
        if len(calls) == 2:  # after the rows were counted: a point more for s00
            late = pd.DataFrame({"unique_id": ["s00"], "ds": ["2025-01-01"], "y": [1.0]})
            with session_scope(migrated_engine) as session:
                upsert_panel(session, late, dataset_id=dataset_id)
        with session_scope(migrated_engine) as session:
            yield session

    store = open_object_store(str(tmp_path / "objects"))
    with pytest.raises(RuntimeError, match="changed while its panel was read"):
        curate_panel(scope, store, tmp_path / "scratch", rules, dataset_id=dataset_id,
                     run_id="run", group_rows=GROUP_ROWS)  # fmt: skip
    assert store.list("panels/") == []
