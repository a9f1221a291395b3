"""The built web page, served by the API at `/` for page routes only.

A path under `/api`, or one that an API route answers with another method, is never the
page's: the API answers it (404 JSON, or 405 with `Allow`), as it does without a build.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute, Match, Mount

__all__ = ["PageFallback"]

_API_ROOT = "/api"


class PageFallback(Mount):
    def __init__(self, directory: Path, api_routes: Sequence[BaseRoute]) -> None:
        super().__init__("/", app=StaticFiles(directory=directory, html=True), name="frontend")
        self._api_routes = tuple(api_routes)

    def matches(self, scope: dict) -> tuple[Match, dict]:
        path = scope.get("path", "")
        if path == _API_ROOT or path.startswith(f"{_API_ROOT}/"):
            return Match.NONE, {}
        if any(route.matches(scope)[0] != Match.NONE for route in self._api_routes):
            return Match.NONE, {}
        return super().matches(scope)
