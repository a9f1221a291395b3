"""The built web page is served at `/` when `frontend/dist` exists, and nothing otherwise; with
it, the API's paths still answer as the API does (404 JSON, or 405 with `Allow`)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from api.main import create_app


def test_built_frontend_is_served_beside_the_api(api_settings, api_options, tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<h1>Quantis</h1>")
    with TestClient(create_app(api_settings, replace(api_options, frontend_dir=dist))) as client:
        assert "Quantis" in client.get("/").text
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/api/v1/series").status_code == 401


def test_without_a_build_the_root_is_404(client):
    assert client.get("/").status_code == 404


@pytest.fixture
def page_client(scratch_database, tmp_path):
    from api.config import ApiOptions
    from core.settings import load_settings

    url, _key = scratch_database("read")
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<h1>Quantis</h1>")
    with TestClient(
        create_app(load_settings(database_url=url), ApiOptions(frontend_dir=dist))
    ) as c:
        yield c


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/v1/forecasts", "POST"),
        ("GET", "/api/v1/observations", "POST"),
        ("GET", "/api/v1/observations/csv", "POST"),
        ("DELETE", "/api/v1/series", "GET, POST"),
        ("POST", "/health", "GET"),
    ],
)
def test_a_method_a_path_lacks_is_405_with_allow_beside_the_page(
    page_client, method, path, allowed
):
    response = page_client.request(method, path)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allowed
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_page_fallback_never_answers_an_api_path(page_client):
    for path in ("/api", "/api/", "/api/v1/no-such-thing", "/api/index.html"):
        response = page_client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found", path
    assert "Quantis" in page_client.get("/index.html").text
