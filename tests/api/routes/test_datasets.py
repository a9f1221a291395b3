"""`/api/v1/datasets` (read keys list and show; admin keys create, update, delete) and the
observations door that enforces a dataset's frequency."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.datasets.removal import outside_database
from core.db.engine import make_engine, session_scope
from core.db.repositories import observations, series
from core.db.repositories.datasets import find_dataset


def test_admin_creates_and_readers_list_and_show(client, headers):
    admin, reader = headers("admin"), headers("read")
    created = client.post(
        "/api/v1/datasets",
        json={"name": "revenue", "frequency": "MS", "levels": [90, 50]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["frequency"], body["horizon"], body["effective_horizon"]) == ("MS", None, 18)
    assert (body["effective_season_length"], body["levels"], body["series"]) == (12, [50, 90], 0)
    listed = client.get("/api/v1/datasets", headers=reader).json()
    assert [d["name"] for d in listed] == ["default", "revenue"]
    assert client.get("/api/v1/datasets/revenue", headers=reader).json() == body
    forbidden = client.post("/api/v1/datasets", json={"name": "x"}, headers=headers("write"))
    assert forbidden.status_code == 403
    again = client.post("/api/v1/datasets", json={"name": "revenue"}, headers=admin)
    assert again.status_code == 409
    missing = client.get("/api/v1/datasets/absent", headers=reader)
    assert missing.status_code == 404 and "known: ['default', 'revenue']" in missing.text


def test_invalid_configurations_are_422_saying_which_field(client, headers):
    admin = headers("admin")
    for body, field in [
        ({"name": "x", "frequency": "fortnightly"}, "frequency"),
        ({"name": "x", "value_min": 5, "value_max": 1}, "value_max"),
        ({"name": "x", "levels": [80, 80]}, "levels"),
        ({"name": "x", "model_overrides": {"horizon": 3}}, "model_overrides"),
        ({"name": "Bad Name"}, "name"),
        ({"name": "x", "horizon": 0}, "horizon"),
    ]:
        response = client.post("/api/v1/datasets", json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text


def test_update_changes_safe_fields_and_refuses_a_fixed_frequency(client, headers):
    admin = headers("admin")
    client.post("/api/v1/datasets", json={"name": "traffic", "frequency": "W"}, headers=admin)
    updated = client.patch("/api/v1/datasets/traffic", json={"horizon": 4}, headers=admin)
    assert updated.status_code == 200 and updated.json()["effective_horizon"] == 4
    refused = client.patch("/api/v1/datasets/traffic", json={"frequency": "D"}, headers=admin)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "change_refused" and "frequency" in error["details"]["refused"]
    assert client.patch("/api/v1/datasets/absent", json={}, headers=admin).status_code == 404


def test_delete_removes_one_dataset_and_refuses_default(client, headers, api_settings):
    admin = headers("admin")
    client.post("/api/v1/datasets", json={"name": "doomed", "frequency": "D"}, headers=admin)
    rows = [{"series": "s", "ts": "2024-01-01", "value": 1.0}]
    for dataset in ("doomed", None):
        body = {"observations": rows, "create_missing_series": True, "dataset": dataset}
        assert client.post("/api/v1/observations", json=body, headers=admin).status_code == 200
    landing, registry = outside_database(api_settings, "doomed")
    landing.put_bytes("doomed/a.csv", b"unique_id,ds,y\n")
    landing.put_bytes("default/b.csv", b"unique_id,ds,y\n")
    registry.client.create_registered_model(registry.model_name)
    assert client.delete("/api/v1/datasets/doomed", headers=headers("write")).status_code == 403
    assert client.delete("/api/v1/datasets/doomed", headers=admin).status_code == 204
    assert landing.list() == ["default/b.csv"] and not registry.exists()
    assert client.get("/api/v1/datasets/doomed", headers=admin).status_code == 404
    kept = client.get("/api/v1/series?name=s", headers=admin).json()
    assert kept["total"] == 1
    refused = client.delete("/api/v1/datasets/default", headers=admin)
    assert refused.status_code == 409 and "cannot be deleted" in refused.text


def _quarterly_default(api_settings) -> None:
    """The `default` dataset fixed at quarterly, as the Tourism demo's first ingest fixes it."""
    engine = make_engine(api_settings.database_url)
    with session_scope(engine) as session:
        default = find_dataset(session, "default")
        default.frequency = "QS-JAN"
        one = series.create_series(session, "tourism-1", frequency="QS-JAN")
        stamps = [(one.id, date(2020 + q // 4, 1 + 3 * (q % 4), 1), float(q)) for q in range(8)]
        observations.upsert_observations(session, [(i, _moment(d), v) for i, d, v in stamps])
    engine.dispose()


def _moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_daily_rows_into_a_quarterly_series_are_refused_naming_them(client, headers, api_settings):
    _quarterly_default(api_settings)
    writer = headers("write")
    # the case: 60,000 daily rows posted into a quarterly series
    days = [date(1900, 1, 1) + timedelta(days=k) for k in range(60_000)]
    rows = [{"series": "tourism-1", "ts": day.isoformat(), "value": 1.0} for day in days]
    response = client.post("/api/v1/observations", json={"observations": rows}, headers=writer)
    assert response.status_code == 422, response.text[:500]
    error = response.json()["error"]
    assert error["code"] == "off_grid" and "nothing was written" in error["message"]
    quarter_starts = sum(day.day == 1 and day.month in (1, 4, 7, 10) for day in days)
    assert error["details"]["error_count"] == 60_000 - quarter_starts
    first = error["details"]["errors"][0]
    assert first["loc"] == ["body", "observations", 1] and first["type"] == "off_grid"
    assert "tourism-1" in first["message"] and "1900-01-02" in first["message"]
    engine = make_engine(api_settings.database_url)
    with session_scope(engine) as session:
        stored = series.get_series_by_name(session, "tourism-1")
        assert observations.count_observations(session, stored.id) == 8
    engine.dispose()
    on_grid = [{"series": "tourism-1", "ts": "2022-04-01", "value": 2.0}]
    accepted = client.post("/api/v1/observations", json={"observations": on_grid}, headers=writer)
    assert accepted.status_code == 200 and accepted.json()["inserted"] == 1


def test_the_door_checks_every_path_and_new_series_too(client, headers, api_settings):
    _quarterly_default(api_settings)
    writer = headers("write")
    series_id = client.get("/api/v1/series?name=tourism-1", headers=writer).json()["items"][0]["id"]
    one = client.post(
        f"/api/v1/series/{series_id}/observations",
        json={"observations": [{"ts": "2022-02-01", "value": 1.0}]},
        headers=writer,
    )
    assert one.status_code == 422 and one.json()["error"]["code"] == "off_grid"
    csv = "series,ts,value\nnew-one,2022-01-01,1\nnew-one,2022-01-15,2\n"
    upload = client.post(
        "/api/v1/observations/csv?create_missing_series=true",
        files={"file": ("rows.csv", csv, "text/csv")},
        headers=writer,
    )
    assert upload.status_code == 422, upload.text
    (problem,) = upload.json()["error"]["details"]["errors"]
    assert problem["loc"] == ["file", 3]
    mismatch = client.post(
        "/api/v1/observations",
        json={
            "observations": [{"series": "x", "ts": "2022-01-01", "value": 1.0}],
            "create_missing_series": True,
            "frequency": "D",
        },
        headers=writer,
    )
    assert mismatch.status_code == 422 and "frequency_mismatch" in mismatch.text


def test_observations_name_their_dataset(client, headers):
    admin = headers("admin")
    client.post("/api/v1/datasets", json={"name": "daily", "frequency": "D"}, headers=admin)
    rows = [{"series": "shop", "ts": "2024-01-01T00:00:00Z", "value": 1.0}]
    body = {"observations": rows, "create_missing_series": True, "dataset": "daily"}
    stored = client.post("/api/v1/observations", json=body, headers=admin)
    assert stored.status_code == 200, stored.text
    assert client.get("/api/v1/series?name=shop", headers=admin).json()["total"] == 0
    in_daily = client.get("/api/v1/series?dataset=daily", headers=admin).json()
    assert [s["name"] for s in in_daily["items"]] == ["shop"]
    assert in_daily["items"][0]["frequency"] == "D"
    unknown = client.post("/api/v1/observations", json={**body, "dataset": "absent"}, headers=admin)
    assert unknown.status_code == 404


def test_a_boolean_is_no_number_for_a_dataset(client, headers):
    # Lax validation read `true` as 1.0 (the contract test's finding): refused now.
    body = {"name": "strict-numbers", "value_min": True}
    response = client.post("/api/v1/datasets", json=body, headers=headers("admin"))
    assert response.status_code == 422, response.text
    body = {"name": "strict-numbers", "value_min": 1, "levels": [80, 95.5]}
    assert client.post("/api/v1/datasets", json=body, headers=headers("admin")).status_code == 201
