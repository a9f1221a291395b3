"""Operational database: schema (`models`), engine and sessions (`engine`), Alembic
migrations (`migrate`), and data access functions per table (`repositories`)."""
