"""Staging a batch in chunks: a failure part-way leaves nothing staged and nothing
quarantined."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from core.datasets import DEFAULT_DATASET, DatasetConfig
from core.db.engine import make_engine, session_scope
from core.db.repositories.datasets import default_dataset_id
from core.db.tables import QuarantinedRow
from core.storage.local import LocalObjectStore
from orchestration.defs.ingestion.pickup import pick_up_new_files
from orchestration.defs.ingestion.staging import stage_batch


class _FailingStore(LocalObjectStore):
    """A folder store whose third write fails."""

    writes = 0

    def put_bytes(self, key: str, data: bytes) -> None:
        self.writes += 1
        if self.writes == 3:
            raise OSError("disk full")
        super().put_bytes(key, data)


def test_a_failure_part_way_leaves_nothing_staged_or_quarantined(pipeline_settings, tmp_path):
    landing = LocalObjectStore(tmp_path / "landing")
    store = _FailingStore(tmp_path / "objects")
    days = pd.date_range("2024-01-01", periods=50).strftime("%Y-%m-%d")
    rows = "".join(f"s{i % 5},{days[i // 5]},{i}\n" for i in range(250))
    landing.put_bytes("a.csv", ("unique_id,ds,y\nbad,2024-01-01,n/a\n" + rows).encode())
    engine = make_engine(pipeline_settings.database_url)
    with session_scope(engine) as session:
        dataset_id = default_dataset_id(session)
        picked = pick_up_new_files(session, landing, DEFAULT_DATASET, chunk_rows=100)
    assert picked.batch is None  # 251 rows: three chunks

    with pytest.raises(OSError, match="disk full"), session_scope(engine) as session:
        stage_batch(
            session, picked, landing, store, DatasetConfig(name=DEFAULT_DATASET), {},
            dataset=DEFAULT_DATASET, dataset_id=dataset_id, run_id="r1",
        )  # fmt: skip

    assert store.writes == 3 and store.list("staging/") == []
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(QuarantinedRow)) == 0
    engine.dispose()
