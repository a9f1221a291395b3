"""Point a restored MLflow backend store at the folder its artifacts were restored into.

MLflow stores absolute artifact locations per experiment, run, logged model and model
version; a store restored beside a new artifact root must have them moved, or the champion
alias would resolve to files of the original (perhaps lost) location.
"""

from __future__ import annotations

from sqlalchemy import inspect, text

from core.db.engine import make_engine

__all__ = ["ARTIFACT_COLUMNS", "rewrite_artifact_root"]

ARTIFACT_COLUMNS = (
    ("experiments", "artifact_location"),
    ("runs", "artifact_uri"),
    ("logged_models", "artifact_location"),
    ("model_versions", "storage_location"),
    ("model_versions", "source"),
)


def rewrite_artifact_root(url: str, old_root: str, new_root: str) -> int:
    """Replace the `old_root` prefix by `new_root` in every artifact column; rows changed."""
    old_root, new_root = old_root.rstrip("/"), new_root.rstrip("/")
    if old_root == new_root:
        return 0
    engine = make_engine(url)
    changed = 0
    try:
        with engine.begin() as connection:
            tables = set(inspect(connection).get_table_names())
            for table, column in ARTIFACT_COLUMNS:
                if table not in tables:
                    continue
                statement = text(
                    f'UPDATE "{table}" SET "{column}" = :new || substr("{column}", :rest) '
                    f'WHERE "{column}" = :old OR substr("{column}", 1, :width) = :old_folder'
                )
                changed += connection.execute(
                    statement,
                    {
                        "new": new_root,
                        "rest": len(old_root) + 1,
                        "old": old_root,
                        "width": len(old_root) + 1,
                        "old_folder": old_root + "/",
                    },
                ).rowcount
    finally:
        engine.dispose()
    return changed
