"""The built web page is served at `/` when `frontend/dist` exists, and nothing otherwise."""

from __future__ import annotations

from dataclasses import replace

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
