"""/health, /ready and /metrics: open without a key; /ready reports each dependency."""

from __future__ import annotations

from fastapi.testclient import TestClient
from served_model import MODEL_NAME, MODEL_VERSION  # on sys.path via the root conftest

from api.main import create_app
from core.settings import load_settings

UNREACHABLE_URL = "http://127.0.0.1:9"


def test_health_needs_no_key_and_answers_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_database_and_model_server_answer(client):
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["database"]["ok"] and body["model_server"]["ok"]
    assert body["model"] == {"name": MODEL_NAME, "version": MODEL_VERSION}


def test_ready_is_503_and_names_the_model_server_when_it_is_down(db_url, api_options):
    settings = load_settings(database_url=db_url, model_server_url=UNREACHABLE_URL)
    with TestClient(create_app(settings, api_options)) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["model_server"]["ok"] is False
    assert UNREACHABLE_URL in body["model_server"]["detail"]
    assert body["model"] is None


def test_ready_is_503_when_the_database_is_unreachable(model_server, api_options):
    settings = load_settings(
        database_url="postgresql://nobody@127.0.0.1:1/none", model_server_url=model_server.url
    )
    with TestClient(create_app(settings, api_options)) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False


def test_metrics_count_requests_by_route_template(client, headers):
    client.get("/api/v1/series/12345", headers=headers("read"))
    text = client.get("/metrics").text
    assert 'quantis_api_requests_total{method="GET",route="/api/v1/series/{series_id}"' in text
    assert "quantis_api_request_latency_seconds_bucket" in text


def test_docs_and_openapi_need_no_key(client):
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").status_code == 200
