"""API keys: where they are read, scopes that nest, revocation and per-key rate limits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.auth import grants, key_from_headers
from api.main import create_app
from core.db.engine import make_engine, session_scope
from core.db.repositories.api_keys import list_api_keys, revoke_api_key


def test_a_route_without_a_key_is_401_with_the_error_shape(client):
    response = client.get("/api/v1/series")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["code"] == "unauthorized" and "Bearer" in error["message"]


@pytest.mark.parametrize(
    "sent", [{"Authorization": "Bearer qk_0000_nope"}, {"X-API-Key": "not-a-key"}]
)
def test_an_unknown_key_is_401(client, sent):
    response = client.get("/api/v1/series", headers=sent)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "the API key is unknown or revoked"


def test_a_key_works_as_bearer_token_and_as_x_api_key(client, api_key):
    key = api_key("read")
    assert client.get("/api/v1/series", headers={"Authorization": f"Bearer {key}"}).is_success
    assert client.get("/api/v1/series", headers={"X-API-Key": key}).is_success


def test_a_revoked_key_is_401(client, api_key, api_settings):
    key = api_key("read", name="to-revoke")
    engine = make_engine(api_settings.database_url)
    with session_scope(engine) as session:
        [record] = [k for k in list_api_keys(session) if k.name == "to-revoke"]
        revoke_api_key(session, record.id)
    engine.dispose()
    assert client.get("/api/v1/series", headers={"X-API-Key": key}).status_code == 401


def test_under_scoped_keys_are_403_and_name_the_missing_scope(client, headers):
    created = client.post("/api/v1/series", json={"name": "a"}, headers=headers("read"))
    assert created.status_code == 403
    assert "'write'" in created.json()["error"]["message"]
    series_id = client.post("/api/v1/series", json={"name": "a"}, headers=headers("write")).json()[
        "id"
    ]
    deleted = client.delete(f"/api/v1/series/{series_id}", headers=headers("write"))
    assert deleted.status_code == 403 and "'admin'" in deleted.json()["error"]["message"]


def test_admin_implies_write_and_read():
    assert grants(("admin",), "read") and grants(("admin",), "write")
    assert grants(("write",), "read") and not grants(("write",), "admin")
    assert not grants(("read",), "write") and not grants(("unknown",), "read")


def test_x_api_key_wins_over_bearer_and_blank_values_count_as_missing():
    assert key_from_headers("bearer-key", "header-key") == "header-key"
    assert key_from_headers("bearer-key", None) == "bearer-key"
    assert key_from_headers("  ", "") is None


def test_rate_limit_answers_429_with_retry_after_per_key(api_settings, api_options, api_key):
    from dataclasses import replace

    options = replace(api_options, rate_limit_per_minute=6, rate_limit_burst=2)
    first, second = api_key("read"), api_key("read")
    with TestClient(create_app(api_settings, options)) as client:
        answers = [client.get("/api/v1/series", headers={"X-API-Key": first}) for _ in range(3)]
        other = client.get("/api/v1/series", headers={"X-API-Key": second})
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["error"]["code"] == "rate_limited"
    # 2 requests in any 20 s (2 * 60 / 6): the first one leaves the window within 20 s.
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 20
    assert other.status_code == 200  # buckets are per key
