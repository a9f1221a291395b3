"""Backup and disaster recovery: daily backup, weekly restore drill, manual restore."""
