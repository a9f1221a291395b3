"""The backup domain's definitions: backup, drill and restore jobs, their schedules, the vault."""

import dagster as dg

from core.settings import Settings
from orchestration.defs.backup.jobs import backup_job, dr_drill_job, restore_job
from orchestration.defs.backup.schedules import backup_daily, dr_drill_weekly
from orchestration.resources import BackupVault

__all__ = ["build"]


def build(settings: Settings) -> dg.Definitions:
    """The three jobs, the daily backup and weekly drill schedules, and the backup vault
    (where backups go, what they cover, how many are kept) from the settings."""
    return dg.Definitions(
        jobs=[backup_job, dr_drill_job, restore_job],
        schedules=[backup_daily, dr_drill_weekly],
        resources={"backup_vault": BackupVault.from_settings(settings)},
    )
