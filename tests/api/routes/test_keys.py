"""`/api/v1/keys/me`: any valid key learns who it is; never the hash."""

from __future__ import annotations

from datetime import datetime

import pytest


@pytest.mark.parametrize(
    ("scopes", "granted"),
    [(("read",), ["read"]), (("admin",), ["read", "write", "admin"])],
)
def test_a_key_sees_its_own_name_and_scopes(client, api_key, scopes, granted):
    key = api_key(*scopes, name=f"who-{scopes[0]}")
    response = client.get("/api/v1/keys/me", headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == f"who-{scopes[0]}"
    assert body["scopes"] == list(scopes) and body["granted"] == granted
    assert key.startswith(body["prefix"] + "_") and isinstance(body["id"], int)
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert "hash" not in body and key not in response.text


def test_each_key_gets_its_own_identity(client, api_key):
    first, second = api_key("read", name="first"), api_key("write", name="second")
    names = [
        client.get("/api/v1/keys/me", headers={"Authorization": f"Bearer {k}"}).json()["name"]
        for k in (first, second)
    ]
    assert names == ["first", "second"]


def test_a_key_with_no_known_scope_may_still_ask(client, api_key):
    response = client.get("/api/v1/keys/me", headers={"X-API-Key": api_key("metrics")})
    assert response.status_code == 200, response.text
    assert response.json()["scopes"] == ["metrics"] and response.json()["granted"] == []


def test_without_a_key_it_is_401_with_the_error_shape(client):
    response = client.get("/api/v1/keys/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"
    unknown = client.get("/api/v1/keys/me", headers={"X-API-Key": "qk_0000_nope"})
    assert unknown.status_code == 401
