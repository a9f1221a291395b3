"""Backup and disaster recovery: daily backup, weekly restore drill, manual restore."""

import dagster as dg

from orchestration.defs.backup.jobs import backup_job, dr_drill_job, restore_job
from orchestration.defs.backup.schedules import backup_daily, dr_drill_weekly

defs = dg.Definitions(
    jobs=[backup_job, dr_drill_job, restore_job],
    schedules=[backup_daily, dr_drill_weekly],
)
