"""A batch larger than the `landing_chunk_rows` setting is read, checked and staged in chunks
and upserted part by part: the same stored rows, quarantined rows and check results as in one
piece; a (series, timestamp) repeated in two chunks is still caught; re-landing stores nothing
twice."""

from __future__ import annotations

import io

import dagster as dg
import pandas as pd
import pytest
from sqlalchemy import select

from core.datasets import DatasetConfig
from core.datasets.partitions import sync_dataset_partitions
from core.db.engine import make_engine, session_scope
from core.db.repositories.datasets import create_dataset
from core.db.repositories.observations import read_panel
from core.db.tables import QuarantinedRow
from core.run_tags import DATASET_TAG
from core.storage import open_object_store

CHUNK_ROWS = 100


def _history() -> tuple[str, str]:
    """Two CSV files of 30 daily series with bad rows of every kind spread over them."""
    rows = [
        (f"s{n:02d}", f"2024-01-{day:02d}", f"{n + day / 10:.1f}")
        for day in range(1, 13)
        for n in range(30)
    ]
    rows[5] = ("s05", "2024-01-01", "n/a")  # not a number
    rows[130] = ("s10", "not a date", "1")  # no timestamp
    rows[215] = ("", "2024-01-08", "2")  # no series
    rows[250] = ("s10", "2024-01-09 12:00", "3")  # off the daily grid
    rows[340] = ("s07", "2024-01-01", "9.9")  # s07 on 2024-01-01 again, 333 rows later
    # `late` steps from 00:00, its earliest row, which comes in the last chunk: its 09:00
    # rows in the first chunk are off the grid
    rows[20:20] = [("late", "2024-01-03 09:00", "1"), ("late", "2024-01-04 09:00", "2")]
    first = "series,date,value\n" + "".join(f"{s},{d},{v}\n" for s, d, v in rows)
    # the second file repeats s01 on 2024-01-02 (also in the first) and holds `late`'s start
    second = "unique_id,ds,y\nlate,2024-01-01,0\ns01,2024-01-02,7\nnew,2024-01-01,1\n"
    return first, second


def _definitions(settings, chunk_rows: int):
    from orchestration.definitions import build_definitions

    return build_definitions(settings.model_copy(update={"landing_chunk_rows": chunk_rows}))


def _land(settings, instance, dataset: str, chunk_rows: int):
    sync_dataset_partitions(instance, ["default", "one_piece", "in_chunks"])
    job = _definitions(settings, chunk_rows).resolve_job_def("ingestion")
    result = job.execute_in_process(
        instance=instance, partition_key=dataset, tags={DATASET_TAG: dataset}
    )
    assert result.success
    return result


def _metadata(result, asset: str) -> dict:
    [event] = result.asset_materializations_for_node(asset)
    return {key: value.value for key, value in event.metadata.items()}


def _checks(result) -> dict:
    return {
        c.check_name: (c.passed, c.metadata["failed_rows"].value, c.metadata["checked_rows"].value)
        for c in result.get_asset_check_evaluations()
        if c.asset_key == dg.AssetKey("staged_observations")
    }


def _panel_checks(result) -> dict:
    return {
        c.check_name: (c.passed, c.severity, {k: v.value for k, v in c.metadata.items()})
        for c in result.get_asset_check_evaluations()
        if c.asset_key == dg.AssetKey("observations")
    }


def _stored(engine, dataset_id: int) -> tuple[pd.DataFrame, list[tuple]]:
    with session_scope(engine) as session:
        panel = read_panel(session, dataset_id=dataset_id)
        rows = session.scalars(
            select(QuarantinedRow).where(QuarantinedRow.dataset_id == dataset_id)
        ).all()
        quarantined = [
            (r.source.split("/", 1)[1], r.series_name, r.ts_raw, r.value_raw, r.expectation,
             r.reason)
            for r in rows
        ]  # fmt: skip
    quarantined.sort(key=str)
    return panel, quarantined


@pytest.fixture
def datasets(pipeline_settings, landing):
    """Two datasets with the same files in their landing folders."""
    engine = make_engine(pipeline_settings.database_url)
    ids = {}
    first, second = _history()
    with session_scope(engine) as session:
        for name in ("one_piece", "in_chunks"):
            config = DatasetConfig(name=name, frequency="D", max_bad_row_share=0.5, min_history=1)
            ids[name] = create_dataset(session, config).id
            (landing / name).mkdir()
            (landing / name / "a-history.csv").write_text(first)
            (landing / name / "b-more.csv").write_text(second)
    yield engine, ids
    engine.dispose()


def test_chunks_give_the_rows_and_checks_of_one_piece(pipeline_settings, datasets):
    engine, ids = datasets
    instance = dg.DagsterInstance.ephemeral()
    whole = _land(pipeline_settings, instance, "one_piece", chunk_rows=1_000_000)
    chunked = _land(pipeline_settings, instance, "in_chunks", chunk_rows=CHUNK_ROWS)

    staged_whole, staged = (
        _metadata(whole, "staged_observations"),
        _metadata(chunked, "staged_observations"),
    )
    assert staged_whole["chunks"] == 1 and staged["chunks"] == 4  # 365 rows, 100 a chunk
    for field in ("rows_in", "good_rows", "quarantined_rows", "bad_row_share"):
        assert staged[field] == staged_whole[field], field
    assert _checks(chunked) == _checks(whole)
    assert _checks(chunked)["no_duplicate_timestamps"][:2] == (False, 4)

    panel_whole, quarantined_whole = _stored(engine, ids["one_piece"])
    panel, quarantined = _stored(engine, ids["in_chunks"])
    pd.testing.assert_frame_equal(panel, panel_whole)
    assert quarantined == quarantined_whole
    repeated = [q for q in quarantined if q[4] == "no_duplicate_timestamps"]
    assert {(q[0], q[1], q[2]) for q in repeated} == {
        ("a-history.csv", "s07", "2024-01-01"),
        ("a-history.csv", "s01", "2024-01-02"),
        ("b-more.csv", "s01", "2024-01-02"),
    }  # s07's two rows are 333 rows apart: in different chunks
    off_grid = {q[2] for q in quarantined if q[4] == "on_frequency_grid"}
    assert off_grid == {"2024-01-09 12:00", "2024-01-03 09:00", "2024-01-04 09:00"}
    assert _metadata(chunked, "observations")["rows_inserted"] == len(panel)

    # the panel snapshot, written a group of whole series (at most 100 rows) at a time
    assert _metadata(whole, "observations")["panel_parts"] == 1
    assert _metadata(chunked, "observations")["panel_parts"] == 4  # 360 rows of 12 or so
    snapshot_whole, snapshot = (
        result.output_for_node("observations") for result in (whole, chunked)
    )
    store = open_object_store(pipeline_settings.object_store_url)
    pd.testing.assert_frame_equal(
        pd.read_parquet(io.BytesIO(store.get_bytes(snapshot.snapshot_key))),
        pd.read_parquet(io.BytesIO(store.get_bytes(snapshot_whole.snapshot_key))),
    )
    assert snapshot.fingerprint == snapshot_whole.fingerprint
    assert snapshot.training_series == snapshot_whole.training_series
    assert (snapshot.freq, snapshot.season_length) == (snapshot_whole.freq, 7) == ("D", 7)
    assert _panel_checks(chunked) == _panel_checks(whole)


def test_relanding_in_chunks_stores_nothing_twice(pipeline_settings, datasets, landing):
    engine, ids = datasets
    instance = dg.DagsterInstance.ephemeral()
    _land(pipeline_settings, instance, "in_chunks", chunk_rows=CHUNK_ROWS)
    panel, quarantined = _stored(engine, ids["in_chunks"])
    first, second = _history()
    (landing / "in_chunks" / "c-again.csv").write_text(first)  # the same rows, new files
    (landing / "in_chunks" / "d-again.csv").write_text(second)

    again = _land(pipeline_settings, instance, "in_chunks", chunk_rows=CHUNK_ROWS)

    assert _metadata(again, "staged_observations")["chunks"] == 4
    upserted = _metadata(again, "observations")
    assert upserted["rows_inserted"] == 0 and upserted["rows_updated"] > 0
    panel_after, quarantined_after = _stored(engine, ids["in_chunks"])
    pd.testing.assert_frame_equal(panel_after, panel)
    assert len(quarantined_after) == 2 * len(quarantined)  # bad rows recorded each landing


def test_staged_parts_are_upserted_part_by_part(pipeline_settings, datasets):
    _land(pipeline_settings, dg.DagsterInstance.ephemeral(), "in_chunks", CHUNK_ROWS)
    store = open_object_store(pipeline_settings.object_store_url)
    parts = store.list("staging/in_chunks/")
    assert len(parts) == 4 and all("/part-" in key for key in parts)
    sizes = [len(pd.read_parquet(io.BytesIO(store.get_bytes(key)))) for key in parts]
    assert max(sizes) <= CHUNK_ROWS
