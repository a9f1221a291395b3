"""The web page builds, its component tests pass, and its API client matches the API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from npm_project import FRONTEND_DIR, run_npm


def test_generated_api_client_matches_the_api(node_modules):
    # Fails when a route or schema changed without `npm run generate:api` being rerun.
    output = run_npm("run", "generate:api", "--", "--check")
    assert "matches the API's OpenAPI document" in output


def test_sources_are_formatted(node_modules):
    run_npm("run", "format:check")


@pytest.mark.slow
def test_component_tests_pass(node_modules):
    output = run_npm("test")  # exits non-zero when any test fails
    assert re.search(r"Tests\s+\d+ passed", output), output[-2000:]


@pytest.mark.slow
def test_build_produces_a_static_page_with_its_assets(built_frontend: Path):
    index = (built_frontend / "index.html").read_text()
    assets = re.findall(r'(?:src|href)="\./(assets/[^"]+)"', index)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert (built_frontend / asset).is_file(), f"index.html names a missing {asset}"
    assert built_frontend == FRONTEND_DIR / "dist"
