"""The operational database as the CLI needs it: migrated, or one line saying how.

Migrating is safe on a SQLite file (the embedded default, one user; `quantis up` migrates it
every time). A server database (PostgreSQL) may be shared with running services of another
version, so it is never migrated implicitly: the user is told to run `quantis db upgrade`.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url

from core.datasets import default_dataset_config
from core.db import migrate
from core.settings import get_settings
from quantis.failures import UserError

__all__ = ["ready_database"]


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def ready_database(url: str, *, on_migrate=lambda message: None) -> str:
    """`url`, at the newest revision. SQLite is migrated when behind (`on_migrate` hears of
    it); any other database behind head raises a `UserError` naming the command to run."""
    newest = migrate.head()
    revision = migrate.current(url)
    if revision == newest:
        return url
    known = {script.revision for script in migrate.script_directory().walk_revisions()}
    if revision is not None and revision not in known:
        raise UserError(
            f"the database {_shown(url)} is at revision {revision!r}, newer than this code "
            f"knows (head {newest}); update Quantis"
        )
    if make_url(url).get_backend_name() != "sqlite":
        state = f"at revision {revision}" if revision else "not migrated"
        raise UserError(
            f"the database {_shown(url)} is {state} (head {newest})",
            run=f"quantis db upgrade --url {_shown(url)}",
        )
    # a database from before datasets gets a `default` one with the settings' values
    migrate.upgrade(url, default_dataset=default_dataset_config(get_settings()))
    on_migrate(f"Migrated {_shown(url)} to revision {newest}.")
    return url
