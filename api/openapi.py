"""The OpenAPI document with integer bounds as exact as the API enforces them.

FastAPI passes the document through its own models, which hold `minimum` and `maximum` as
floats: 2**63 - 1 (the largest record id, e.g. of a `series_ids` item) comes out as
9.223372036854776e18, which is 2**63, a value the API refuses. Integer schemas get their
bounds back as integers here. A float bound at or past the 64-bit range can only be that
range's end (every integer the API takes is a 64-bit one, the databases' BIGINT), so it is
clamped to it; no other bound of ours is past 2**53, where floats stop being exact.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

__all__ = ["INT64_MAX", "INT64_MIN", "exact_integer_bounds", "install_openapi"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def exact_integer_bounds(node: Any) -> None:
    """Turns the float bounds of every integer schema in `node` into integers, in place."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for key in _BOUNDS:
                if isinstance(node.get(key), float):
                    node[key] = min(max(int(node[key]), INT64_MIN), INT64_MAX)
        for value in node.values():
            exact_integer_bounds(value)
    elif isinstance(node, list):
        for value in node:
            exact_integer_bounds(value)


def install_openapi(app: FastAPI) -> None:
    """`app.openapi()` (and /openapi.json) answer the corrected document; FastAPI caches it,
    so each document it builds is corrected once."""
    generate = app.openapi
    corrected: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        document = generate()
        if not corrected or corrected[0] is not document:
            exact_integer_bounds(document)
            corrected[:] = [document]
        return document

    app.openapi = openapi  # type: ignore[method-assign]
