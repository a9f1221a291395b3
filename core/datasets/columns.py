"""The names a landing file's series, timestamp and value columns may go by.

Shared by ingestion (which reads files by them) and the dataset configuration (whose
covariates may not take one of them: a file's column would be read as the wrong thing).
"""

from __future__ import annotations

__all__ = ["COLUMN_ALIASES", "RESERVED_COLUMN_NAMES"]

COLUMN_ALIASES = {
    "unique_id": ("unique_id", "series", "series_id", "series_name", "id"),
    "ds": ("ds", "timestamp", "ts", "date", "datetime", "time"),
    "y": ("y", "value", "observation"),
}
RESERVED_COLUMN_NAMES = frozenset(alias for aliases in COLUMN_ALIASES.values() for alias in aliases)
