"""Observations: idempotent upsert (JSON and CSV), row-level errors, all or nothing, ranges."""

from __future__ import annotations

import json

from core.db.engine import make_engine, session_scope
from core.db.repositories.audit import list_audit
from core.db.repositories.observations import count_observations


def _rows(series: str, values: list[float], start_day: int = 1) -> list[dict]:
    return [
        {"series": series, "ts": f"2024-01-{start_day + i:02d}T00:00:00Z", "value": v}
        for i, v in enumerate(values)
    ]


def _stored(url: str) -> int:
    engine = make_engine(url)
    with session_scope(engine) as session:
        count = count_observations(session)
    engine.dispose()
    return count


def test_upsert_creates_series_and_resending_only_updates(client, headers, api_settings):
    writer = headers("write")
    body = {"observations": _rows("a", [1, 2, 3]) + _rows("b", [4]), "create_missing_series": True}
    first = client.post("/api/v1/observations", json=body, headers=writer)
    assert first.status_code == 200, first.text
    assert first.json() == {"rows": 4, "inserted": 4, "updated": 0, "series_created": ["a", "b"]}
    body["observations"][0]["value"] = 10
    again = client.post("/api/v1/observations", json=body, headers=writer).json()
    assert again == {"rows": 4, "inserted": 0, "updated": 4, "series_created": []}
    assert _stored(api_settings.database_url) == 4
    engine = make_engine(api_settings.database_url)
    with session_scope(engine) as session:
        [entry, _] = list_audit(session, action="observations.upsert").items
        assert entry.details["series"] == ["a", "b"] and entry.actor.startswith("apikey:")
    engine.dispose()


def test_unknown_series_reject_the_whole_request_with_the_rows(client, headers, api_settings):
    writer = headers("write")
    client.post("/api/v1/series", json={"name": "known"}, headers=writer)
    rows = _rows("known", [1, 2]) + _rows("missing", [3], start_day=5)
    response = client.post("/api/v1/observations", json={"observations": rows}, headers=writer)
    assert response.status_code == 404  # well-formed rows naming a series that does not exist
    error = response.json()["error"]
    assert error["code"] == "unknown_series" and "nothing was written" in error["message"]
    assert error["details"]["errors"] == [
        {
            "loc": ["body", "observations", 2],
            "message": "series 'missing' does not exist",
            "type": "unknown_series",
        }
    ]
    assert _stored(api_settings.database_url) == 0


def test_repeated_keys_in_one_request_are_rejected(client, headers, api_settings):
    rows = _rows("a", [1, 2]) + _rows("a", [9])
    body = {"observations": rows, "create_missing_series": True}
    response = client.post("/api/v1/observations", json=body, headers=headers("write"))
    assert response.status_code == 422
    [problem] = response.json()["error"]["details"]["errors"]
    assert problem["type"] == "duplicate_row" and problem["loc"] == ["body", "observations", 2]
    assert _stored(api_settings.database_url) == 0


def test_bad_values_and_timestamps_name_their_rows(client, headers):
    rows = _rows("a", [1, 2, 3])
    rows[1]["ts"] = "yesterday"
    body = json.dumps({"observations": rows, "create_missing_series": True}).replace(
        '"value": 3', '"value": NaN'
    )
    response = client.post(
        "/api/v1/observations",
        content=body,
        headers={**headers("write"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    locations = [d["loc"] for d in response.json()["error"]["details"]]
    assert ["body", "observations", 1, "ts"] in locations
    assert ["body", "observations", 2, "value"] in locations


def test_empty_upload_is_422(client, headers):
    response = client.post(
        "/api/v1/observations", json={"observations": []}, headers=headers("write")
    )
    assert response.status_code == 422


def test_csv_upload_and_line_numbered_errors(client, headers, api_settings):
    writer = headers("write")
    good = "series,ts,value\na,2024-01-01,1.5\na,2024-01-02,2.5\nb,2024-01-01T00:00:00+00:00,3\n"
    files = {"file": ("obs.csv", good.encode(), "text/csv")}
    response = client.post(
        "/api/v1/observations/csv?create_missing_series=true", files=files, headers=writer
    )
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 3
    bad = "unique_id,ds,y\na,2024-01-03,1\n,2024-01-04,2\na,not-a-date,x\na,2024-01-05,inf\n"
    files = {"file": ("bad.csv", bad.encode(), "text/csv")}
    rejected = client.post("/api/v1/observations/csv", files=files, headers=writer)
    assert rejected.status_code == 422
    errors = rejected.json()["error"]["details"]["errors"]
    assert [e["loc"] for e in errors] == [
        ["file", 3, "series"],
        ["file", 4, "ts"],
        ["file", 4, "value"],
        ["file", 5, "value"],
    ]
    assert _stored(api_settings.database_url) == 3  # the bad file wrote nothing


def test_csv_without_the_needed_columns_is_422(client, headers):
    files = {"file": ("x.csv", b"name,when,amount\na,2024-01-01,1\n", "text/csv")}
    response = client.post("/api/v1/observations/csv", files=files, headers=headers("write"))
    assert response.status_code == 422
    assert "lacks a series column" in response.json()["error"]["message"]


def test_upsert_to_one_series_and_list_a_time_range(client, headers):
    writer = headers("write")
    series_id = client.post("/api/v1/series", json={"name": "one"}, headers=writer).json()["id"]
    rows = [{"ts": f"2024-02-{d:02d}", "value": float(d)} for d in range(1, 11)]
    upserted = client.post(
        f"/api/v1/series/{series_id}/observations", json={"observations": rows}, headers=writer
    )
    assert upserted.json()["inserted"] == 10
    listed = client.get(
        f"/api/v1/series/{series_id}/observations",
        params={"start": "2024-02-03", "end": "2024-02-05T00:00:00Z", "limit": 2},
        headers=writer,
    ).json()
    assert listed["total"] == 3
    assert [item["value"] for item in listed["items"]] == [3.0, 4.0]
    backwards = client.get(
        f"/api/v1/series/{series_id}/observations",
        params={"start": "2024-02-05", "end": "2024-02-01"},
        headers=writer,
    )
    assert backwards.status_code == 422
    missing = client.post(
        "/api/v1/series/424242/observations", json={"observations": rows}, headers=writer
    )
    assert missing.status_code == 404


def test_a_csv_series_name_longer_than_the_column_is_422_naming_the_line(client, headers):
    text = f"series,ts,value\nok,2024-01-01,1\n{'n' * 256},2024-01-01,2\n"
    files = {"file": ("long.csv", text.encode(), "text/csv")}
    response = client.post(
        "/api/v1/observations/csv?create_missing_series=true", files=files, headers=headers("write")
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["error"]["details"]["errors"]
    assert problem["loc"] == ["file", 3, "series"] and problem["type"] == "too_long"


def test_a_csv_with_lone_carriage_returns_is_read_and_one_csv_cannot_read_is_422(client, headers):
    writer = headers("write")
    path = "/api/v1/observations/csv?create_missing_series=true"
    old_mac = b"series,ts,value\rcr,2024-01-01,1\rcr,2024-01-02,2\r"
    files = {"file": ("cr.csv", old_mac, "text/csv")}
    stored = client.post(path, files=files, headers=writer)
    assert stored.status_code == 200 and stored.json()["rows"] == 2, stored.text
    for content in (b"series,ts,value\na\rb,2024-01-01,1\n", b"m\r\xc3\x8e\xc3\x90"):
        answer = client.post(path, files={"file": ("x.csv", content, "text/csv")}, headers=writer)
        assert answer.status_code == 422, (content, answer.text)
    huge_field = b"series,ts,value\nh,2024-01-01," + b"1" * 200_000 + b"\n"
    files = {"file": ("huge.csv", huge_field, "text/csv")}
    unreadable = client.post(path, files=files, headers=writer)
    assert unreadable.status_code == 422, unreadable.text
    assert unreadable.json()["error"]["message"].startswith("the CSV cannot be read at line 2")
