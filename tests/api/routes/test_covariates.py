"""Covariates through the API: declared on a dataset, a series' values upserted (all or
nothing, a 422 naming each bad row) and read back, future values included."""

from __future__ import annotations

RETAIL = {
    "name": "retail",
    "frequency": "D",
    "covariates": [
        {"name": "price"},
        {"name": "promo", "type": "boolean"},
        {"name": "region", "type": "categorical", "kind": "static", "categories": ["n", "s"]},
        {"name": "holiday", "type": "boolean", "kind": "calendar", "country": "US"},
    ],
}


def _series(client, headers) -> int:
    created = client.post("/api/v1/datasets", json=RETAIL, headers=headers("admin"))
    assert created.status_code == 201, created.text
    series = client.post(
        "/api/v1/series", json={"name": "a", "dataset": "retail"}, headers=headers("write")
    )
    assert series.status_code == 201, series.text
    return series.json()["id"]


def test_a_dataset_declares_covariates_and_shows_them(client, headers):
    _series(client, headers)
    shown = client.get("/api/v1/datasets/retail", headers=headers("read")).json()
    assert [c["name"] for c in shown["covariates"]] == ["price", "promo", "region", "holiday"]
    assert shown["covariates"][2]["categories"] == ["n", "s"]
    admin = headers("admin")
    changed = {"covariates": [*RETAIL["covariates"][:3], {"name": "price2"}]}
    refused = client.patch("/api/v1/datasets/retail", json=changed, headers=admin)
    assert refused.status_code == 409 and "'holiday' cannot be removed" in refused.text
    added = {"covariates": [*RETAIL["covariates"], {"name": "price2"}]}
    assert client.patch("/api/v1/datasets/retail", json=added, headers=admin).status_code == 200
    bad = {"name": "other", "covariates": [{"name": "y"}]}
    assert client.post("/api/v1/datasets", json=bad, headers=admin).status_code == 422


def test_values_are_upserted_and_read_back_future_ones_included(client, headers):
    series_id = _series(client, headers)
    url = f"/api/v1/series/{series_id}/covariates"
    body = {
        "static": [{"name": "region", "value": "n"}],
        "values": [
            {"ts": "2024-01-01T00:00:00Z", "name": "price", "value": 2.5},
            {"ts": "2030-01-01T00:00:00Z", "name": "price", "value": 3},
            {"ts": "2030-01-01T00:00:00Z", "name": "promo", "value": True},
        ],
    }
    first = client.post(url, json=body, headers=headers("write"))
    assert first.status_code == 200, first.text
    assert first.json() == {"rows": 4, "inserted": 4, "updated": 0}
    body["values"][0]["value"] = 2.0
    assert client.post(url, json=body, headers=headers("write")).json() == {
        "rows": 4, "inserted": 0, "updated": 4,
    }  # fmt: skip
    read = client.get(url, headers=headers("read")).json()
    assert read["static"] == {"region": "n"}
    assert read["values"] == [
        {"ts": "2024-01-01T00:00:00Z", "name": "price", "value": 2.0},
        {"ts": "2030-01-01T00:00:00Z", "name": "price", "value": 3.0},
        {"ts": "2030-01-01T00:00:00Z", "name": "promo", "value": True},
    ]
    ranged = client.get(url, params={"start": "2029-01-01T00:00:00Z"}, headers=headers("read"))
    assert [v["name"] for v in ranged.json()["values"]] == ["price", "promo"]
    assert ranged.json()["total"] == 2


def test_bad_rows_are_named_and_nothing_is_written(client, headers):
    series_id = _series(client, headers)
    url = f"/api/v1/series/{series_id}/covariates"
    undeclared = {
        "values": [
            {"ts": "2024-01-01T00:00:00Z", "name": "colour", "value": 1},
            {"ts": "2024-01-01T00:00:00Z", "name": "region", "value": "n"},
            {"ts": "2024-01-01T00:00:00Z", "name": "holiday", "value": True},
        ]
    }
    response = client.post(url, json=undeclared, headers=headers("write"))
    assert response.status_code == 422
    errors = response.json()["error"]["details"]["errors"]
    assert [e["loc"] for e in errors] == [["body", "values", i, "name"] for i in range(3)]
    assert "not a declared covariate" in errors[0]["message"]
    assert "static covariate, not known_in_advance" in errors[1]["message"]
    assert "follow from the timestamps" in errors[2]["message"]
    invalid = {
        "static": [{"name": "region", "value": "west"}],
        "values": [
            {"ts": "2024-01-01T00:00:00Z", "name": "price", "value": "cheap"},
            {"ts": "2024-01-02T00:00:00Z", "name": "promo", "value": "maybe"},
            {"ts": "2024-01-03T12:00:00Z", "name": "price", "value": 1.0},
        ],
    }
    response = client.post(url, json=invalid, headers=headers("write"))
    assert response.status_code == 422
    errors = response.json()["error"]["details"]["errors"]
    assert [(e["loc"], e["type"]) for e in errors] == [
        (["body", "static", 0, "value"], "invalid_covariate"),
        (["body", "values", 0, "value"], "invalid_covariate"),
        (["body", "values", 1, "value"], "invalid_covariate"),
        (["body", "values", 2, "ts"], "off_grid"),
    ]
    assert "unknown category" in errors[0]["message"]
    assert "not a number" in errors[1]["message"]
    read = client.get(url, headers=headers("read")).json()
    assert read["static"] == {} and read["values"] == [] and read["total"] == 0


def test_values_for_every_series_are_upserted_read_back_and_kept_apart(client, headers):
    series_id = _series(client, headers)
    url = "/api/v1/datasets/retail/covariates"
    body = {
        "values": [
            {"ts": "2030-01-01T00:00:00Z", "name": "promo", "value": True},
            {"ts": "2030-01-02T00:00:00Z", "name": "price", "value": 4},
        ]
    }
    first = client.post(url, json=body, headers=headers("write"))
    assert first.status_code == 200, first.text
    assert first.json() == {"rows": 2, "inserted": 2, "updated": 0}
    body["values"][1]["value"] = 5
    assert client.post(url, json=body, headers=headers("write")).json() == {
        "rows": 2, "inserted": 0, "updated": 2,
    }  # fmt: skip
    read = client.get(url, headers=headers("read")).json()
    assert read["dataset"] == "retail" and read["total"] == 2
    assert read["values"] == [
        {"ts": "2030-01-01T00:00:00Z", "name": "promo", "value": True},
        {"ts": "2030-01-02T00:00:00Z", "name": "price", "value": 5.0},
    ]
    later = client.get(url, params={"start": "2030-01-02T00:00:00Z"}, headers=headers("read"))
    assert [v["name"] for v in later.json()["values"]] == ["price"]
    own = client.get(f"/api/v1/series/{series_id}/covariates", headers=headers("read")).json()
    assert own["values"] == []  # the series' own values only


def test_bad_values_for_every_series_are_named_and_nothing_is_written(client, headers):
    _series(client, headers)
    url = "/api/v1/datasets/retail/covariates"
    body = {
        "values": [
            {"ts": "2030-01-01T00:00:00Z", "name": "region", "value": "n"},
            {"ts": "2030-01-01T00:00:00Z", "name": "price", "value": 1.0},
        ]
    }
    response = client.post(url, json=body, headers=headers("write"))
    assert response.status_code == 422
    [error] = response.json()["error"]["details"]["errors"]
    assert error["loc"] == ["body", "values", 0, "name"]
    assert "static covariate, not known_in_advance" in error["message"]
    body["values"][0] = {"ts": "2030-01-02T00:00:00Z", "name": "promo", "value": "maybe"}
    body["values"].append({"ts": "2030-01-03T06:00:00Z", "name": "price", "value": 2.0})
    response = client.post(url, json=body, headers=headers("write"))
    assert [(e["loc"], e["type"]) for e in response.json()["error"]["details"]["errors"]] == [
        (["body", "values", 0, "value"], "invalid_covariate"),
        (["body", "values", 2, "ts"], "off_grid"),
    ]
    assert client.get(url, headers=headers("read")).json()["total"] == 0
    assert client.post(url, json=body, headers=headers("read")).status_code == 403


def test_a_key_limited_to_other_datasets_does_not_see_them(client, headers, api_key):
    _series(client, headers)
    url = "/api/v1/datasets/retail/covariates"
    limited = {"Authorization": f"Bearer {api_key('write', 'read', datasets=['default'])}"}
    assert client.get(url, headers=limited).status_code == 404
    body = {"values": [{"ts": "2030-01-01T00:00:00Z", "name": "price", "value": 1.0}]}
    assert client.post(url, json=body, headers=limited).status_code == 404
