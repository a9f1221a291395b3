"""Alembic environment and revisions of the operational database (run via `core.db.migrate`)."""
