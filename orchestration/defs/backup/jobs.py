"""The backup, dr_drill and restore jobs: thin ops over `core.backup`, with run metadata.

They are op jobs, not assets, so that `quantis_pipeline` (every asset) never takes a backup
or restores one; each op still records an asset materialization (`backup/latest_backup`,
`backup/dr_drill`, `backup/restore`) so results show in the asset catalog.
"""

from pathlib import Path

import dagster as dg

from core import job_names
from core.backup import (
    BackupError,
    DrillReport,
    apply_retention,
    create_backup,
    restore_backup,
    run_drill,
)
from core.backup.listing import LATEST, resolve_backup_id
from core.backup.restore import RestoreTargets
from orchestration.defs.backup.champion import champion_check
from orchestration.defs.backup.config import BackupConfig, DrillConfig, RestoreConfig
from orchestration.resources import BackupVault

__all__ = ["backup_job", "dr_drill_job", "restore_job"]

BACKUP_ASSET = dg.AssetKey(["backup", "latest_backup"])
DRILL_ASSET = dg.AssetKey(["backup", "dr_drill"])
RESTORE_ASSET = dg.AssetKey(["backup", "restore"])


@dg.op(description="Full backup of the operational DB, MLflow store and artifacts, Dagster "
       "storage; the manifest is written last.")  # fmt: skip
def take_backup(context: dg.OpExecutionContext, backup_vault: BackupVault) -> str:
    store = backup_vault.open_store()
    result = create_backup(
        backup_vault.sources(),
        store,
        catalog_url=backup_vault.database_url,
        scratch_dir=backup_vault.scratch(),
        s3_endpoint_url=backup_vault.s3_endpoint_url,
    )
    manifest = result.manifest
    rows = {db.name: sum(t.rows for t in db.tables.values()) for db in manifest.databases}
    context.log.info("Backup %s: %d files, %d bytes", manifest.backup_id, len(manifest.files),
                     manifest.total_bytes)  # fmt: skip
    context.log_event(
        dg.AssetMaterialization(
            BACKUP_ASSET,
            description=f"Backup {manifest.backup_id}",
            metadata={
                "backup_id": manifest.backup_id,
                "location": dg.MetadataValue.url(result.location),
                "size_bytes": manifest.total_bytes,
                "files": len(manifest.files),
                "seconds": round(result.seconds, 3),
                "rows": dg.MetadataValue.json(rows),
                "manifest_sha256": result.manifest_sha256,
            },
        )
    )
    return manifest.backup_id


@dg.op(description="Delete backups the retention policy (daily/weekly/monthly) no longer keeps.")
def prune_backups(
    context: dg.OpExecutionContext, config: BackupConfig, backup_vault: BackupVault, backup_id: str
) -> None:
    if not config.apply_retention:
        context.log.info("Retention skipped by configuration")
        return
    outcome = apply_retention(
        backup_vault.open_store(), backup_vault.retention(), catalog_url=backup_vault.database_url
    )
    if backup_id not in outcome.kept:
        raise dg.Failure(f"retention would not keep the backup just taken ({backup_id})")
    context.log.info("Retention kept %d, deleted %d (%s); %d incomplete left alone",
                     len(outcome.kept), len(outcome.deleted), ", ".join(outcome.deleted) or "-",
                     len(outcome.incomplete))  # fmt: skip


def _champion_versions(report: DrillReport) -> dict[str, str]:
    return {
        name: str(found.get("champion_version", "none")) for name, found in report.champions.items()
    }


@dg.op(description="Restore a backup into scratch databases and folders, verify checksums, "
       "row counts and the champion model; record RTO and RPO.")  # fmt: skip
def restore_drill(
    context: dg.OpExecutionContext, config: DrillConfig, backup_vault: BackupVault
) -> dg.Output[dict]:
    try:
        report = run_drill(
            backup_vault.open_store(),
            backup_id=None if config.backup_id == LATEST else config.backup_id,
            champion_check=champion_check(backup_vault.registered_model_name),
            postgres_server_url=backup_vault.postgres_server_url(),
            catalog_url=backup_vault.database_url,
            scratch_dir=backup_vault.scratch(),
        )
    except BackupError as error:
        raise dg.Failure(f"DR drill failed: {error}", metadata={"error": str(error)}) from error
    metadata = {
        "backup_id": report.backup_id,
        "rto_seconds": round(report.rto_seconds, 3),
        "rpo_seconds": round(report.rpo_seconds, 1),
        "restore_seconds": round(report.restore_seconds, 3),
        "tables_verified": report.tables_verified,
        "rows_verified": report.rows_verified,
        "files_verified": report.files_verified,
        "champion_version": str(report.champion.get("champion_version", "none")),
        "champion_forecast_rows": int(report.champion.get("forecast_rows", 0)),
        "rows_verified_by_dataset": dg.MetadataValue.json(report.datasets),
        "champion_version_by_dataset": dg.MetadataValue.json(_champion_versions(report)),
    }
    context.log_event(dg.AssetMaterialization(DRILL_ASSET, metadata=metadata))
    return dg.Output(report.as_details(), metadata=metadata)


@dg.op(description="Restore a chosen backup into chosen targets; refuses non-empty targets "
       "unless overwrite, and leaves targets unchanged when verification fails.")  # fmt: skip
def restore_from_backup(
    context: dg.OpExecutionContext, config: RestoreConfig, backup_vault: BackupVault
) -> dg.Output[dict]:
    store = backup_vault.open_store()
    targets = RestoreTargets(
        database_url=config.target_database_url,
        mlflow_database_url=config.target_mlflow_database_url,
        mlflow_artifact_root=config.target_mlflow_artifact_root,
        dagster_home=Path(config.target_dagster_home) if config.target_dagster_home else None,
    )
    try:
        report = restore_backup(
            store,
            resolve_backup_id(store, config.backup_id),
            targets,
            overwrite=config.overwrite,
            scratch_dir=backup_vault.scratch(),
            s3_endpoint_url=backup_vault.s3_endpoint_url,
        )
    except (BackupError, ValueError) as error:
        raise dg.Failure(f"restore failed: {error}", metadata={"error": str(error)}) from error
    metadata = {
        "backup_id": report.backup_id,
        "restored": dg.MetadataValue.json(report.restored),
        "seconds": round(report.seconds, 3),
        "tables_verified": report.tables_verified,
        "rows_verified": report.rows_verified,
        "files_verified": report.files_verified,
        "rows_verified_by_dataset": dg.MetadataValue.json(report.datasets_verified),
    }
    context.log_event(dg.AssetMaterialization(RESTORE_ASSET, metadata=metadata))
    return dg.Output(report.restored, metadata=metadata)


@dg.job(name=job_names.BACKUP, description="Daily full backup to object storage, then retention.")
def backup_job() -> None:
    prune_backups(take_backup())


@dg.job(name=job_names.DR_DRILL, description="Weekly disaster-recovery drill on the newest backup.")
def dr_drill_job() -> None:
    restore_drill()


@dg.job(
    name=job_names.RESTORE,
    description="Manual recovery from a backup (configure in the launchpad).",
)
def restore_job() -> None:
    restore_from_backup()
