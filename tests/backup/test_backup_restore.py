"""Backup then restore into a fresh database, on SQLite and PostgreSQL: same rows, same content."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.backup import (
    BackupSources,
    DatabaseSource,
    RestoreRefusedError,
    RestoreTargets,
    VerificationError,
    create_backup,
    list_backups,
    restore_backup,
)
from core.backup.manifest import MANIFEST_NAME, Manifest, backup_prefix
from core.backup.mlflow_paths import ARTIFACT_COLUMNS
from core.backup.sources import OPERATIONAL_DATABASE
from core.db.engine import make_engine
from core.db.migrate import upgrade
from core.db.tables import Base
from orchestration.defs.backup.champion import champion_check
from tests.backup.conftest import MODEL_NAME, add_dataset, fingerprints_of, populate


def _kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def test_restore_into_fresh_database_has_identical_tables(
    operational_sources, populated_db, backup_store, fresh_db_url
):
    before = fingerprints_of(populated_db)
    result = create_backup(operational_sources, backup_store)
    target = fresh_db_url(_kind(populated_db))

    report = restore_backup(backup_store, result.manifest.backup_id, RestoreTargets(target))

    restored = fingerprints_of(target)
    assert restored == before
    assert set(restored) >= {table.name for table in Base.metadata.sorted_tables}
    assert restored["observations"].rows == 4 * 36
    assert report.rows_verified == sum(fp.rows for fp in before.values())


def test_rows_are_counted_per_dataset_in_the_manifest_and_verified_by_the_restore(
    operational_sources, populated_db, backup_store, fresh_db_url
):
    add_dataset(populated_db, "web", series=2, length=10)
    _add_scenario_and_shared_value(populated_db, "web")
    result = create_backup(operational_sources, backup_store)
    target = fresh_db_url(_kind(populated_db))

    report = restore_backup(backup_store, result.manifest.backup_id, RestoreTargets(target))

    counted = result.manifest.database(OPERATIONAL_DATABASE).datasets
    assert {name: (c["series"], c["observations"]) for name, c in counted.items()} == {
        "default": (4, 4 * 36),
        "web": (2, 2 * 10),
    }
    assert {
        name: (c["dataset_covariate_values"], c["scenarios"]) for name, c in counted.items()
    } == {
        "default": (0, 0),
        "web": (1, 1),
    }
    assert report.datasets_verified == counted
    stored = Manifest.from_json(
        backup_store.get_bytes(f"{backup_prefix(result.manifest.backup_id)}/{MANIFEST_NAME}")
    )
    assert stored.database(OPERATIONAL_DATABASE).datasets == counted


def _add_scenario_and_shared_value(url: str, dataset: str) -> None:
    """A value for every series of `dataset` and a scenario of it."""
    from datetime import UTC, datetime

    from core.db.engine import session_scope
    from core.db.repositories.datasets import find_dataset
    from core.db.tables import DatasetCovariateValue, Scenario

    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            owner = find_dataset(session, dataset).id
            moment = datetime(2030, 1, 1, tzinfo=UTC)
            session.add(DatasetCovariateValue(dataset_id=owner, ts=moment, name="promo", value=1))
            session.add(Scenario(dataset_id=owner, name="promo", spec={"changes": []}))
    finally:
        engine.dispose()


def test_a_table_an_older_backup_did_not_count_is_not_compared():
    from core.backup.dataset_counts import compare_dataset_counts

    older = {"web": {"series": 2}}
    compare_dataset_counts(older, {"web": {"series": 2, "scenarios": 0}}, "restore")
    with pytest.raises(VerificationError, match="dataset web has 3 series rows"):
        compare_dataset_counts(older, {"web": {"series": 3, "scenarios": 0}}, "restore")


def test_a_dataset_whose_rows_differ_from_the_backup_fails_the_restore(
    operational_sources, populated_db, backup_store, fresh_db_url
):
    add_dataset(populated_db, "web", series=2, length=10)
    manifest = create_backup(operational_sources, backup_store).manifest
    entry = manifest.database(OPERATIONAL_DATABASE)
    # The manifest says `web` had one observation more than its dump holds.
    wrong = {**entry.datasets, "web": {**entry.datasets["web"], "observations": 21}}
    tampered = Manifest(
        **{**manifest.__dict__, "databases": [type(entry)(**{**entry.__dict__, "datasets": wrong})]}
    )
    prefix = backup_prefix(manifest.backup_id)
    backup_store.put_bytes(f"{prefix}/{MANIFEST_NAME}", tampered.to_json())

    with pytest.raises(
        VerificationError, match="dataset web has 20 observations rows, the backup had 21"
    ):
        restore_backup(
            backup_store, manifest.backup_id, RestoreTargets(fresh_db_url(_kind(populated_db)))
        )


def test_manifest_records_files_versions_and_tables(operational_sources, backup_store):
    result = create_backup(operational_sources, backup_store)
    prefix = backup_prefix(result.manifest.backup_id)
    stored = Manifest.from_json(backup_store.get_bytes(f"{prefix}/{MANIFEST_NAME}"))

    entry = stored.database(OPERATIONAL_DATABASE)
    assert stored == result.manifest
    assert entry.tables["observations"].rows == 4 * 36
    assert entry.server_version and entry.tool_version
    assert {"quantis", "mlflow", "python"} <= set(stored.versions)
    for file in stored.files:
        assert len(backup_store.get_bytes(f"{prefix}/{file.key}")) == file.size
    assert prefix.startswith(f"backups/{stored.started_at:%Y-%m-%d}/")


def test_full_backup_restores_mlflow_store_whose_champion_loads(
    sources, backup_store, fresh_db_url, tmp_path, mlflow_source
):
    result = create_backup(sources, backup_store)
    mlflow_target = f"sqlite:///{tmp_path / 'restored' / 'mlflow.db'}"
    artifacts = tmp_path / "restored" / "artifacts"
    targets = RestoreTargets(
        database_url=fresh_db_url(_kind(sources.databases[0].url)),
        mlflow_database_url=mlflow_target,
        mlflow_artifact_root=str(artifacts),
        dagster_home=tmp_path / "restored" / "dagster",
    )

    report = restore_backup(backup_store, result.manifest.backup_id, targets)

    assert (
        fingerprints_of(f"sqlite:///{tmp_path / 'restored' / 'dagster' / 'history' / 'runs.db'}")[
            "runs"
        ].rows
        == 2
    )
    assert report.artifact_rows_moved > 0
    engine = make_engine(mlflow_target)
    with engine.connect() as connection:
        for table, column in ARTIFACT_COLUMNS:
            values = connection.scalars(text(f'SELECT "{column}" FROM "{table}"')).all()
            assert not any(str(mlflow_source.artifact_root) in str(v) for v in values), table
    engine.dispose()
    loaded = champion_check(MODEL_NAME)(mlflow_target, str(artifacts), "default")
    assert loaded["champion_version"] == mlflow_source.champion_version
    assert loaded["forecast_rows"] == 3 * 6


def test_restore_refuses_a_target_holding_data_and_leaves_it_alone(
    operational_sources, populated_db, backup_store, fresh_db_url
):
    result = create_backup(operational_sources, backup_store)
    target = fresh_db_url(_kind(populated_db))
    upgrade(target)
    populate(target, series=2, length=12)
    before = fingerprints_of(target)

    with pytest.raises(RestoreRefusedError, match="already hold data"):
        restore_backup(backup_store, result.manifest.backup_id, RestoreTargets(target))
    assert fingerprints_of(target) == before

    restore_backup(backup_store, result.manifest.backup_id, RestoreTargets(target), overwrite=True)
    assert fingerprints_of(target)["observations"].rows == 4 * 36


def test_failed_table_verification_leaves_overwritten_target_unchanged(
    operational_sources, populated_db, backup_store, fresh_db_url
):
    result = create_backup(operational_sources, backup_store)
    manifest = result.manifest
    entry = manifest.database(OPERATIONAL_DATABASE)
    # A manifest that disagrees with its dump: the staged restore must fail its table check.
    wrong = {**entry.tables, "series": type(entry.tables["series"])(999, "0" * 32)}
    tampered = Manifest(
        **{**manifest.__dict__, "databases": [type(entry)(**{**entry.__dict__, "tables": wrong})]}
    )
    prefix = backup_prefix(manifest.backup_id)
    backup_store.put_bytes(f"{prefix}/{MANIFEST_NAME}", tampered.to_json())
    target = fresh_db_url(_kind(populated_db))
    populate_target = make_engine(target)
    with populate_target.begin() as connection:
        connection.execute(text("CREATE TABLE keep_me (id INTEGER PRIMARY KEY)"))
        connection.execute(text("INSERT INTO keep_me VALUES (7)"))
    populate_target.dispose()
    before = fingerprints_of(target)

    with pytest.raises(VerificationError, match=r"table series has \d+ rows, the backup had 999"):
        restore_backup(backup_store, manifest.backup_id, RestoreTargets(target), overwrite=True)

    assert fingerprints_of(target) == before
    assert len(list_backups(backup_store)) == 1


@pytest.mark.postgres
def test_postgres_restore_leaves_no_staging_database_behind(
    postgres_server, backup_store, fresh_db_url
):
    source = fresh_db_url("postgresql")
    upgrade(source)
    populate(source)
    result = create_backup(
        BackupSources((DatabaseSource(OPERATIONAL_DATABASE, source),), ()), backup_store
    )
    target = fresh_db_url("postgresql")
    restore_backup(backup_store, result.manifest.backup_id, RestoreTargets(target))

    with postgres_server.admin.connect() as connection:
        names = connection.scalars(text("SELECT datname FROM pg_database")).all()
    assert not [name for name in names if "_restore_" in name or "_replaced_" in name]


def test_restore_into_another_database_kind_is_refused_by_name(
    operational_sources, populated_db, backup_store, tmp_path
):
    result = create_backup(operational_sources, backup_store)
    other = (
        "postgresql://postgres@127.0.0.1:5432/never_created"
        if populated_db.startswith("sqlite")
        else f"sqlite:///{tmp_path / 'other.db'}"
    )
    with pytest.raises(ValueError, match="cannot be restored into"):
        restore_backup(backup_store, result.manifest.backup_id, RestoreTargets(other))


def test_champion_check_refuses_a_store_pointing_outside_the_restored_artifacts(
    sources, backup_store, tmp_path
):
    result = create_backup(sources, backup_store)
    mlflow_target = f"sqlite:///{tmp_path / 'restored' / 'mlflow.db'}"
    # Store restored without its artifacts: it still points at the source's artifact root.
    restore_backup(
        backup_store, result.manifest.backup_id, RestoreTargets(mlflow_database_url=mlflow_target)
    )

    with pytest.raises(VerificationError, match="outside the restored artifact root"):
        champion_check(MODEL_NAME)(mlflow_target, str(tmp_path / "elsewhere"), "default")
