"""`/api/v1/series`: create, get, list with paging and name filter, delete (admin), audit."""

from __future__ import annotations

import pytest

from core.db.engine import make_engine, session_scope
from core.db.repositories.audit import list_audit


def _audit_actions(url: str) -> list[str]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        actions = [entry.action for entry in list_audit(session).items]
    engine.dispose()
    return actions


def test_create_get_and_duplicate(client, headers):
    writer = headers("write")
    created = client.post(
        "/api/v1/series", json={"name": "sales-1", "frequency": "D"}, headers=writer
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "sales-1" and body["frequency"] == "D"
    fetched = client.get(f"/api/v1/series/{body['id']}", headers=writer)
    assert fetched.json() == body
    again = client.post("/api/v1/series", json={"name": "sales-1"}, headers=writer)
    assert again.status_code == 409 and "already exists" in again.json()["error"]["message"]


def test_unknown_series_is_404(client, headers):
    response = client.get("/api/v1/series/999999", headers=headers("read"))
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "series id 999999 does not exist",
        "details": None,
    }


def test_list_pages_and_filters_by_name(client, headers):
    writer = headers("write")
    for name in ("north-a", "north-b", "south-a"):
        client.post("/api/v1/series", json={"name": name}, headers=writer)
    page = client.get("/api/v1/series?limit=2&offset=0", headers=writer).json()
    assert page["total"] == 3 and [s["name"] for s in page["items"]] == ["north-a", "north-b"]
    rest = client.get("/api/v1/series?limit=2&offset=2", headers=writer).json()
    assert [s["name"] for s in rest["items"]] == ["south-a"]
    north = client.get("/api/v1/series?name=NORTH", headers=writer).json()
    assert north["total"] == 2


def test_bad_bodies_and_queries_are_422_with_locations(client, headers):
    writer = headers("write")
    for body in ({"name": ""}, {"name": "x", "colour": "red"}, {}, {"name": 5}):
        response = client.post("/api/v1/series", json=body, headers=writer)
        assert response.status_code == 422, body
        error = response.json()["error"]
        assert error["code"] == "invalid_input" and error["details"][0]["loc"][0] == "body"
    paged = client.get("/api/v1/series?limit=0", headers=writer)
    assert paged.status_code == 422 and paged.json()["error"]["details"][0]["loc"] == [
        "query",
        "limit",
    ]
    not_json = client.post(
        "/api/v1/series",
        content=b"{not json",
        headers={**writer, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422


def test_delete_needs_admin_and_is_audited(client, headers, api_settings):
    created = client.post("/api/v1/series", json={"name": "gone"}, headers=headers("write"))
    series_id = created.json()["id"]
    deleted = client.delete(f"/api/v1/series/{series_id}", headers=headers("admin"))
    assert deleted.status_code == 204
    assert client.get(f"/api/v1/series/{series_id}", headers=headers("read")).status_code == 404
    assert client.delete(f"/api/v1/series/{series_id}", headers=headers("admin")).status_code == 404
    assert _audit_actions(api_settings.database_url) == ["series.delete", "series.create"]


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "a", "frequency": "\\ud800"}',  # a lone surrogate: not Unicode text
        '{"name": "a\\udfff b"}',
        '{"name": "a\\u0000b"}',  # NUL: PostgreSQL cannot store it
        '{"name": "a", "meta": {"k\\ud800": 1}}',
        '{"name": "a", "meta": {"k": "\\u0000"}}',
        '{"name": "a", "meta": {"nested": {"k": 1}}}',  # labels are flat
    ],
)
def test_text_that_cannot_be_stored_is_422(client, headers, body):
    response = client.post(
        "/api/v1/series",
        content=body.encode(),
        headers={**headers("write"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"
    listed = client.get("/api/v1/series", headers=headers("read")).json()
    assert listed["total"] == 0


def test_a_body_that_is_not_json_is_400_as_documented(client, headers):
    response = client.post(
        "/api/v1/series",
        content=b"\x0b\xff?",
        headers={**headers("write"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    documented = client.get("/openapi.json").json()["paths"]["/api/v1/series"]["post"]
    assert "400" in documented["responses"]


def test_405_lists_every_method_of_the_path(client):
    assert client.options("/api/v1/series").headers["allow"] == "GET, POST"
    assert client.put("/api/v1/series/1").headers["allow"] == "DELETE, GET"
    assert client.options("/api/v1/models/rollback").headers["allow"] == "POST"


def test_returned_timestamps_carry_their_zone(client, headers):
    created = client.post("/api/v1/series", json={"name": "zoned"}, headers=headers("write"))
    assert created.json()["created_at"].endswith(("Z", "+00:00")), created.text


def test_a_name_of_white_space_alone_is_a_422_not_a_500(client, headers):
    # "\x1e" (a record separator) is white space to str.strip: found by the contract test.
    for name in (" ", "\x1e", "\t\n"):
        response = client.post("/api/v1/series", json={"name": name}, headers=headers("write"))
        assert response.status_code == 422, (name, response.text)
