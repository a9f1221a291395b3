"""Print the REST API's OpenAPI document as sorted, indented JSON (input of `generate:api`).

Run from the repository root with the project's Python: `python frontend/scripts/dump_openapi.py`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["openapi_document"]

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from api.main import create_app


def openapi_document() -> dict:
    return create_app().openapi()


if __name__ == "__main__":
    print(json.dumps(openapi_document(), indent=2, sort_keys=True))
