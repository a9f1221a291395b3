"""The demo's data: two datasets of the Tourism competition, dropped into the landing area.

- `default` gets the quarterly series (427, horizon 8) in the landing root, as before there
  were datasets;
- `tourism-monthly` (created here, monthly, horizon 24 as in the competition) gets the monthly
  series (366) under `<landing>/tourism-monthly/`.

Two frequencies show what a dataset is: each has its own frequency, horizon, registered model
and champion, and `quantis up` trains and serves both.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from core.settings import Settings
from core.storage import open_object_store

__all__ = ["DEMO_DATASETS", "DemoDataset", "seed_landing_with_tourism"]


@dataclass(frozen=True)
class DemoDataset:
    name: str  # the Quantis dataset
    group: str  # the Tourism group (models.datasets.TOURISM_GROUPS)
    key: str  # where its file lands
    frequency: str | None = None  # declared for a dataset created here
    horizon: int | None = None


DEMO_DATASETS = (
    DemoDataset("default", "quarterly", "tourism_quarterly.csv"),
    DemoDataset(
        "tourism-monthly", "monthly", "tourism-monthly/tourism_monthly.csv", "MS", horizon=24
    ),
)


def _create_datasets(settings: Settings) -> None:
    """The demo's datasets other than `default`, created where missing (one transaction)."""
    from core.datasets import DatasetConfig
    from core.db.engine import make_engine, session_scope
    from core.db.repositories.datasets import create_dataset, get_dataset

    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            for demo in DEMO_DATASETS:
                if demo.name != "default" and get_dataset(session, demo.name) is None:
                    config = DatasetConfig(
                        name=demo.name, frequency=demo.frequency, horizon=demo.horizon
                    )
                    create_dataset(session, config)
    finally:
        engine.dispose()


def seed_landing_with_tourism(settings: Settings) -> list[str]:
    """Write the Tourism training data (competition split) of every demo dataset into an empty
    landing area, creating the datasets that are missing first; the names seeded.

    Returns [] (and writes nothing) when the landing area already holds files: a person's own
    data is never mixed with the demo's.
    """
    from models.datasets import load_tourism

    landing = open_object_store(settings.landing_url, s3_endpoint_url=settings.s3_endpoint_url)
    if landing.list():
        return []
    _create_datasets(settings)
    for demo in DEMO_DATASETS:
        train, _ = load_tourism(demo.group)
        buffer = io.StringIO()
        train[["unique_id", "ds", "y"]].to_csv(buffer, index=False)
        landing.put_bytes(demo.key, buffer.getvalue().encode())
    return [demo.name for demo in DEMO_DATASETS]
