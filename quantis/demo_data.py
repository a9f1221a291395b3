"""The demo's data: the Tourism competition's quarterly series, dropped into the landing area.

Quarterly (427 series) rather than monthly keeps the whole demo pipeline within a few minutes on
a 2-core machine; `quantis evaluate --dataset tourism-monthly` covers the monthly set.
"""

from __future__ import annotations

import io

from core.settings import Settings
from core.storage import open_object_store

__all__ = ["DEMO_DATASET", "DEMO_FILE", "seed_landing_with_tourism"]

DEMO_DATASET = "quarterly"
DEMO_FILE = f"tourism_{DEMO_DATASET}.csv"


def seed_landing_with_tourism(settings: Settings) -> bool:
    """Write the Tourism training data (competition split) into an empty landing area.

    Returns False (and writes nothing) when the landing area already holds files: a person's
    own data is never mixed with the demo's.
    """
    from models.datasets import load_tourism

    landing = open_object_store(settings.landing_url, s3_endpoint_url=settings.s3_endpoint_url)
    if landing.list():
        return False
    train, _ = load_tourism(DEMO_DATASET)
    buffer = io.StringIO()
    train[["unique_id", "ds", "y"]].to_csv(buffer, index=False)
    landing.put_bytes(DEMO_FILE, buffer.getvalue().encode())
    return True
