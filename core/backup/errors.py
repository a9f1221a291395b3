"""Errors of the backup library; each message names the backup, file or target at fault."""

from __future__ import annotations

__all__ = [
    "BackupError",
    "BackupNotFoundError",
    "IncompleteBackupError",
    "RestoreRefusedError",
    "VerificationError",
]


class BackupError(RuntimeError):
    """A backup, verification or restore step failed."""


class BackupNotFoundError(BackupError, LookupError):
    """No backup with that id in the store."""


class IncompleteBackupError(BackupError):
    """The backup has no manifest: it was interrupted and must not be restored or kept."""


class VerificationError(BackupError):
    """A file or table of a backup does not match its manifest."""


class RestoreRefusedError(BackupError):
    """The restore target holds data and overwriting it was not asked for."""
