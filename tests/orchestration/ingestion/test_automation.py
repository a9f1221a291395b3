"""The landing sensor starts ingestion only for files it has not seen."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from core.datasets.partitions import DATASET_PARTITIONS
from core.db.migrate import upgrade
from core.db.repositories.landing_files import record_landing_file
from orchestration.defs.ingestion.automation import landing_file_sensor
from orchestration.resources import LandingArea, OperationalDatabase


def test_sensor_requests_a_run_for_new_files_only(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    upgrade(url)
    database = OperationalDatabase(url=url)
    landing_dir = tmp_path / "landing"
    landing_dir.mkdir()
    landing = LandingArea(url=str(landing_dir))

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(DATASET_PARTITIONS, ["default"])

    def evaluate():
        context = dg.build_sensor_context(
            instance=instance, resources={"landing": landing, "database": database}
        )
        return landing_file_sensor(context)

    assert isinstance(evaluate(), dg.SkipReason)
    (landing_dir / "a.csv").write_text("unique_id,ds,y\na,2024-01-01,1\n")
    (landing_dir / "notes.txt").write_text("not an observations file")
    [request] = evaluate().run_requests
    assert "a.csv" in request.run_key and request.partition_key == "default"

    with database.session() as session:
        record_landing_file(session, key="a.csv", sha256="x", size_bytes=1, status="loaded", rows=1)
    assert isinstance(evaluate(), dg.SkipReason)
