"""When backups and drills run (UTC): a daily backup, a weekly drill after it."""

import dagster as dg

from orchestration.defs.backup.jobs import backup_job, dr_drill_job

__all__ = ["backup_daily", "dr_drill_weekly"]

backup_daily = dg.ScheduleDefinition(
    name="backup_daily",
    job=backup_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Full backup every day at 02:00 UTC, retention applied after it.",
)

dr_drill_weekly = dg.ScheduleDefinition(
    name="dr_drill_weekly",
    job=dr_drill_job,
    cron_schedule="0 5 * * 0",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Restore drill on the newest backup every Sunday at 05:00 UTC (RTO, RPO).",
)
