"""`quantis backup`: list, create, verify, restore and drill; the same code as the Dagster jobs.

Sources, store, retention and scratch folder come from `BackupVault.from_settings`, exactly
what the `backup`, `dr_drill` and `restore` jobs get from the code location's resources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from core.backup import (
    BackupError,
    apply_retention,
    create_backup,
    list_backups,
    restore_backup,
    run_drill,
    verify_backup,
)
from core.backup.listing import resolve_backup_id
from core.backup.restore import RestoreTargets
from core.settings import get_settings
from orchestration.resources import BackupVault
from quantis.database import ready_database

__all__ = ["app"]

app = typer.Typer(help="Backups and disaster recovery.", no_args_is_help=True)
console = Console()
BackupId = Annotated[str, typer.Argument(help="Backup id from `quantis backup list`, or latest.")]


def _vault(*, catalog: bool = False) -> BackupVault:
    """The vault; with `catalog`, its backup catalog (the operational database) migrated."""
    vault = BackupVault.from_settings(get_settings())
    if catalog:
        ready_database(vault.database_url, on_migrate=lambda line: typer.echo(line, err=True))
    return vault


def _fail(error: Exception) -> typer.Exit:
    typer.secho(str(error), err=True, fg="red")
    return typer.Exit(code=1)


@app.command("list")
def list_command() -> None:
    """Every backup in the store, newest first; incomplete ones cannot be restored."""
    vault = _vault()
    listings = list_backups(vault.open_store())
    if not listings:
        console.print(f"No backups in {vault.store_url}: run `quantis backup create`.")
        return
    table = Table(title=f"Backups in {vault.store_url}")
    table.add_column("backup id", no_wrap=True, min_width=24)
    for column in ("state", "taken at (UTC)", "size (MiB)", "files"):
        table.add_column(column)
    for listing in listings:
        manifest = listing.manifest
        table.add_row(
            listing.backup_id,
            "complete" if manifest else "incomplete",
            manifest.started_at.strftime("%Y-%m-%d %H:%M:%S") if manifest else "",
            f"{manifest.total_bytes / 2**20:.2f}" if manifest else "",
            str(len(manifest.files)) if manifest else str(listing.objects),
        )
    console.print(table)


@app.command()
def create(
    prune: Annotated[
        bool, typer.Option(help="Apply the retention policy after the backup succeeds.")
    ] = True,
) -> None:
    """Take a full backup now (what the daily `backup` job does)."""
    vault = _vault(catalog=True)
    store = vault.open_store()
    try:
        result = create_backup(
            vault.sources(),
            store,
            catalog_url=vault.database_url,
            scratch_dir=vault.scratch(),
            s3_endpoint_url=vault.s3_endpoint_url,
        )
        manifest = result.manifest
        console.print(
            f"Backup {manifest.backup_id}: {len(manifest.files)} files, "
            f"{manifest.total_bytes / 2**20:.2f} MiB in {result.seconds:.1f} s -> {result.location}"
        )
        if prune:
            outcome = apply_retention(store, vault.retention(), catalog_url=vault.database_url)
            console.print(f"Retention: kept {len(outcome.kept)}, deleted {len(outcome.deleted)}")
    except (BackupError, ValueError) as error:
        raise _fail(error) from error


@app.command()
def verify(backup_id: BackupId) -> None:
    """Download every file of BACKUP_ID and check its size and sha256 against the manifest."""
    vault = _vault()
    store = vault.open_store()
    try:
        manifest = verify_backup(store, resolve_backup_id(store, backup_id), vault.scratch())
    except (BackupError, ValueError) as error:
        raise _fail(error) from error
    console.print(f"Backup {manifest.backup_id} is intact: {len(manifest.files)} files verified.")


@app.command()
def restore(
    backup_id: BackupId,
    target: Annotated[
        str | None, typer.Option(help="Operational database URL to restore into.")
    ] = None,
    mlflow_target: Annotated[
        str | None, typer.Option(help="MLflow backend store URL to restore into.")
    ] = None,
    mlflow_artifacts: Annotated[
        str | None, typer.Option(help="Folder or s3:// root for the MLflow artifacts.")
    ] = None,
    dagster_home: Annotated[
        Path | None, typer.Option(help="DAGSTER_HOME for Dagster's storage (Dagster stopped).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace targets that already hold data.")
    ] = False,
) -> None:
    """Restore BACKUP_ID into the given targets, verified before any target is touched."""
    vault = _vault()
    store = vault.open_store()
    targets = RestoreTargets(target, mlflow_target, mlflow_artifacts, dagster_home)
    try:
        report = restore_backup(
            store,
            resolve_backup_id(store, backup_id),
            targets,
            overwrite=overwrite,
            scratch_dir=vault.scratch(),
            s3_endpoint_url=vault.s3_endpoint_url,
        )
    except (BackupError, ValueError) as error:
        raise _fail(error) from error
    console.print(
        f"Restored {report.backup_id} in {report.seconds:.1f} s: {report.tables_verified} tables, "
        f"{report.rows_verified} rows and {report.files_verified} files verified."
    )
    for part, where in report.restored.items():
        console.print(f"  {part} -> {where}")
    _print_datasets(report.datasets_verified, {})


@app.command()
def drill(backup_id: BackupId = "latest") -> None:
    """Restore a backup into scratch targets and verify it (what the weekly `dr_drill` does)."""
    from orchestration.defs.backup.champion import champion_check

    vault = _vault(catalog=True)
    store = vault.open_store()
    try:
        report = run_drill(
            store,
            backup_id=resolve_backup_id(store, backup_id),
            champion_check=champion_check(vault.registered_model_name),
            postgres_server_url=vault.postgres_server_url(),
            catalog_url=vault.database_url,
            scratch_dir=vault.scratch(),
        )
    except (BackupError, ValueError) as error:
        raise _fail(error) from error
    console.print(
        f"Drill on {report.backup_id} passed: RTO {report.rto_seconds:.1f} s, RPO "
        f"{report.rpo_seconds / 3600:.2f} h, {report.rows_verified} rows verified, champion "
        f"{report.champion.get('champion_version', 'none')}."
    )
    _print_datasets(report.datasets, report.champions)


def _print_datasets(counts: dict[str, dict[str, int]], champions: dict[str, dict]) -> None:
    """One line a dataset: its rows verified per table, and its champion when checked."""
    for dataset, tables in counts.items():
        rows = ", ".join(f"{count} {table}" for table, count in tables.items())
        champion = champions.get(dataset, {}).get("champion_version")
        suffix = f"; champion {champion}" if champion is not None else ""
        console.print(f"  dataset {dataset}: {rows}{suffix}")
