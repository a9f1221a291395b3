"""Data access, one module per table; every function takes the session it works in.

Functions flush but never commit: the caller owns the transaction (see
`core.db.engine.session_scope`).
"""
