"""A restored MLflow store is pointed at its new artifact root, whole path parts only."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.backup.mlflow_paths import rewrite_artifact_root
from core.db.engine import make_engine

KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
OLD = "file:///srv/mlflow/artifacts"
NEW = "file:///restore/artifacts"


@pytest.mark.parametrize("kind", KINDS)
def test_rewrite_moves_the_root_prefix_and_nothing_else(kind, fresh_db_url):
    url = fresh_db_url(kind)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE experiments (id INTEGER, artifact_location TEXT)"))
        connection.execute(text("CREATE TABLE runs (id INTEGER, artifact_uri TEXT)"))
        connection.execute(
            text("INSERT INTO experiments VALUES (1, :a), (2, :b), (3, :c)"),
            {"a": OLD, "b": OLD + "-other/1", "c": "s3://bucket/x"},
        )
        connection.execute(text("INSERT INTO runs VALUES (1, :a)"), {"a": OLD + "/1/run/artifacts"})

    changed = rewrite_artifact_root(url, OLD + "/", NEW)

    with engine.connect() as connection:
        experiments = (
            connection.execute(text("SELECT artifact_location FROM experiments ORDER BY id"))
            .scalars()
            .all()
        )
        runs = connection.execute(text("SELECT artifact_uri FROM runs")).scalars().all()
    engine.dispose()
    assert changed == 2
    assert experiments == [NEW, OLD + "-other/1", "s3://bucket/x"]
    assert runs == [NEW + "/1/run/artifacts"]
