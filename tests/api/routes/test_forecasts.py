"""Forecasts end to end over a real model server: request, store, read back, failures."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from served_model import HORIZON, MODEL_NAME, MODEL_VERSION, SERVED_DATASET, tiny_panel

from api.main import create_app
from core.db.engine import make_engine, session_scope
from core.db.repositories.audit import list_audit
from core.db.repositories.deployments import activate_deployment, start_deployment
from core.processes import log_tail
from core.settings import load_settings

UNREACHABLE_URL = "http://127.0.0.1:9"


def _upload(
    client, headers, names=("s00000", "s00001"), drop_ts=None, dataset=None
) -> dict[str, int]:
    panel = tiny_panel()
    panel = panel[panel["unique_id"].isin(names)]
    if drop_ts is not None:
        panel = panel[panel["ds"] != drop_ts]
    rows = [
        {"series": uid, "ts": ds.isoformat(), "value": y}
        for uid, ds, y in panel[["unique_id", "ds", "y"]].itertuples(index=False)
    ]
    body = {"observations": rows, "create_missing_series": True, "frequency": "D"}
    if dataset is not None:
        body["dataset"] = dataset
    assert client.post("/api/v1/observations", json=body, headers=headers).is_success
    query = f"?dataset={dataset}" if dataset else ""
    page = client.get(f"/api/v1/series{query}", headers=headers).json()
    return {s["name"]: s["id"] for s in page["items"]}


def _check_points(points: list[dict], horizon: int) -> None:
    assert len(points) == horizon
    for p in points:
        assert p["lower"]["95"] <= p["lower"]["80"] <= p["yhat"] <= p["upper"]["80"]
        assert p["upper"]["80"] <= p["upper"]["95"]


def test_forecast_is_served_stored_and_read_back(client, headers, api_settings):
    writer = headers("write")
    ids = _upload(client, writer)
    body = {"series_ids": [ids["s00000"], ids["s00001"]], "horizon": 5, "levels": [95, 80]}
    response = client.post(
        "/api/v1/forecasts", json=body, headers={**writer, "X-Request-ID": "trace-42"}
    )
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch["request_id"] == "trace-42" == response.headers["X-Request-ID"]
    assert (batch["model_name"], batch["model_version"]) == (MODEL_NAME, MODEL_VERSION)
    assert [f["series_id"] for f in batch["forecasts"]] == body["series_ids"]
    for forecast in batch["forecasts"]:
        assert forecast["levels"] == [80, 95] and forecast["model_version"] == MODEL_VERSION
        _check_points(forecast["points"], 5)
    first = batch["forecasts"][0]
    assert first["points"][0]["ds"].startswith("2025-01-01")  # the day after the history
    assert client.get(f"/api/v1/forecasts/{first['id']}", headers=writer).json() == first
    listed = client.get(f"/api/v1/series/{ids['s00000']}/forecasts", headers=writer).json()
    assert listed["total"] == 1 and listed["items"][0] == first
    engine = make_engine(api_settings.database_url)
    with session_scope(engine) as session:
        [entry] = list_audit(session, action="forecast.create").items
        assert entry.request_id == "trace-42" and entry.details["model_version"] == MODEL_VERSION
    engine.dispose()


def test_the_request_id_reaches_the_model_server(client, headers, model_server):
    writer = headers("write")
    ids = _upload(client, writer, names=("s00002",))
    body = {"series_ids": [ids["s00002"]], "horizon": 2}
    client.post("/api/v1/forecasts", json=body, headers={**writer, "X-Request-ID": "relay-7"})
    assert "request_id=relay-7" in log_tail(model_server.process.log_path, 400)


def test_a_request_without_a_horizon_or_levels_gets_its_datasets(client, headers, api_settings):
    """Each dataset has its own horizon and interval levels: a request that names none is
    forecast that many steps ahead at those levels (the global `forecast_default_horizon`
    only seeds `default`'s); levels the API cannot serve (not whole percents) are a 422."""
    admin = headers("admin")
    web_horizon = 3
    assert web_horizon != api_settings.forecast_default_horizon
    body = {"name": SERVED_DATASET, "frequency": "D", "horizon": web_horizon, "levels": [90]}
    assert client.post("/api/v1/datasets", json=body, headers=admin).status_code == 201
    web = _upload(client, admin, names=("s00003",), dataset=SERVED_DATASET)
    default = _upload(client, admin, names=("s00002",))
    shown = client.get("/api/v1/datasets/default", headers=admin).json()
    default_horizon, default_levels = shown["effective_horizon"], shown["levels"]
    for ids, horizon, levels in (
        (web, web_horizon, [90]),
        (default, default_horizon, [int(level) for level in default_levels]),
    ):
        response = client.post(
            "/api/v1/forecasts", json={"series_ids": list(ids.values())}, headers=admin
        )
        assert response.status_code == 201, response.text
        [forecast] = response.json()["forecasts"]
        assert forecast["horizon"] == horizon and forecast["levels"] == levels
        assert len(forecast["points"]) == horizon
        assert set(forecast["points"][0]["lower"]) == {str(level) for level in levels}

    changed = {"levels": [97.5]}
    assert client.patch(
        f"/api/v1/datasets/{SERVED_DATASET}", json=changed, headers=admin
    ).is_success
    refused = client.post(
        "/api/v1/forecasts", json={"series_ids": list(web.values())}, headers=admin
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "levels_required"
    sent = {"series_ids": list(web.values()), "levels": [80]}
    assert client.post("/api/v1/forecasts", json=sent, headers=admin).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"series_ids": []},
        {"series_ids": [1, 1]},
        {"series_ids": [1], "horizon": 0},
        {"series_ids": [1], "horizon": 367},
        {"series_ids": [1], "levels": [150]},
        {"series_ids": [1], "history": 0},
        {"series_ids": [1], "model": "other"},
        {"series_ids": ["one"]},
    ],
)
def test_bad_forecast_requests_are_422(client, headers, body):
    response = client.post("/api/v1/forecasts", json=body, headers=headers("write"))
    assert response.status_code == 422, body
    assert response.json()["error"]["code"] == "invalid_input"


def test_unknown_series_404_and_series_without_history_422(client, headers):
    writer = headers("write")
    missing = client.post("/api/v1/forecasts", json={"series_ids": [987654]}, headers=writer)
    assert missing.status_code == 404 and "987654" in missing.json()["error"]["message"]
    empty_id = client.post("/api/v1/series", json={"name": "empty"}, headers=writer).json()["id"]
    empty = client.post("/api/v1/forecasts", json={"series_ids": [empty_id]}, headers=writer)
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "no_history"
    assert client.get("/api/v1/forecasts/987654", headers=writer).status_code == 404


def test_history_the_model_cannot_use_is_422_with_the_model_servers_reason(client, headers):
    writer = headers("write")
    panel = tiny_panel()
    ids = _upload(client, writer, names=("s00004",), drop_ts=panel["ds"].iloc[-20])
    response = client.post(
        "/api/v1/forecasts", json={"series_ids": [ids["s00004"]]}, headers=writer
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "forecast_rejected" and "s00004" in error["message"]


def test_reading_forecasts_needs_only_read_but_creating_needs_write(client, headers):
    response = client.post("/api/v1/forecasts", json={"series_ids": [1]}, headers=headers("read"))
    assert response.status_code == 403


def test_the_active_deployment_record_says_where_the_model_server_is(
    db_url, api_options, model_server, headers, api_key
):
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        record = start_deployment(
            session,
            model_name=MODEL_NAME,
            model_version=MODEL_VERSION,
            target="local",
            endpoint_url=model_server.url,
        )
        activate_deployment(session, record.id)
    engine.dispose()
    settings = load_settings(database_url=db_url, model_server_url=UNREACHABLE_URL)
    with TestClient(create_app(settings, api_options)) as client:
        writer = {"X-API-Key": api_key("write")}
        ids = _upload(client, writer, names=("s00005",))
        response = client.post(
            "/api/v1/forecasts", json={"series_ids": [ids["s00005"]], "horizon": 3}, headers=writer
        )
        assert response.status_code == 201, response.text
        assert client.get("/ready").status_code == 200


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # about the model server, not the DB
def test_model_server_down_gives_503_and_service_recovers(client, headers, model_server):
    writer = headers("write")
    ids = _upload(client, writer, names=("s00001",))
    body = {"series_ids": [ids["s00001"]], "horizon": HORIZON}
    model_server.stop()
    try:
        down = client.post("/api/v1/forecasts", json=body, headers=writer)
        assert down.status_code == 503
        error = down.json()["error"]
        assert error["code"] == "model_server_unavailable"
        assert model_server.url in error["message"] and "Traceback" not in down.text
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["model_server"]["ok"] is False
    finally:
        model_server.start()
    recovered = client.post("/api/v1/forecasts", json=body, headers=writer)
    assert recovered.status_code == 201, recovered.text
    _check_points(recovered.json()["forecasts"][0]["points"], HORIZON)
    assert client.get("/ready").status_code == 200


def test_latest_forecast_comes_from_the_database_by_kind(client, headers, api_settings):
    from datetime import UTC, datetime

    from core.db.repositories.forecasts import NewForecast, save_forecasts_bulk

    writer = headers("write")
    ids = _upload(client, writer)
    series_id = ids["s00000"]
    latest = f"/api/v1/series/{series_id}/forecasts/latest"
    assert client.get(latest, headers=writer).status_code == 404
    requested = client.post(
        "/api/v1/forecasts", json={"series_ids": [series_id], "horizon": 3}, headers=writer
    ).json()["forecasts"][0]
    assert requested["kind"] == "request" and requested["data_cutoff"] is None
    assert client.get(f"{latest}?kind=batch", headers=writer).status_code == 404
    cutoff = datetime(2024, 12, 31, tzinfo=UTC)
    point = {"ds": "2025-01-01T00:00:00", "yhat": 1.0, "lo": {"80": 0.5}, "hi": {"80": 1.5}}
    with session_scope(make_engine(api_settings.database_url)) as session:
        save_forecasts_bulk(
            session,
            [
                NewForecast(
                    series_id=series_id,
                    request_id="batch:run-1",
                    model_name=MODEL_NAME,
                    model_version="8",
                    horizon=1,
                    levels=[80],
                    points=[point],
                    data_cutoff=cutoff,
                )
            ],
        )
    batch = client.get(f"{latest}?kind=batch", headers=writer).json()
    assert (batch["kind"], batch["model_version"], batch["request_id"]) == (
        "batch", "8", "batch:run-1",
    )  # fmt: skip
    assert batch["data_cutoff"].startswith("2024-12-31T00:00:00")
    assert batch["points"][0]["upper"] == {"80": 1.5}
    # without a kind: the newest of any (the batch one was stored last)
    assert client.get(latest, headers=writer).json()["id"] == batch["id"]
    assert client.get(f"{latest}?kind=request", headers=writer).json()["id"] == requested["id"]
    assert client.get(f"{latest}?kind=nightly", headers=writer).status_code == 422
    assert client.get("/api/v1/series/999999/forecasts/latest", headers=writer).status_code == 404


def test_each_dataset_is_forecast_by_its_own_champion(client, headers, model_server):
    """The session's model server serves `default` and `web` (tests/conftest.py): a `web`
    series is forecast by `web`'s model, a dataset without a served champion is a 503 that
    says so, and one request does not mix datasets. The API's and the model server's
    forecast counters tell the datasets apart."""
    admin = headers("admin")
    for name in (SERVED_DATASET, "daily"):
        created = client.post(
            "/api/v1/datasets", json={"name": name, "frequency": "D"}, headers=admin
        )
        assert created.status_code == 201, created.text
    web = _upload(client, admin, names=("s00002",), dataset=SERVED_DATASET)
    daily = _upload(client, admin, names=("s00003",), dataset="daily")
    default = _upload(client, admin, names=("s00000",))

    answer = client.post("/api/v1/forecasts", json={"series_ids": [web["s00002"]]}, headers=admin)
    assert answer.status_code == 201, answer.text
    assert answer.json()["model_name"] == f"{MODEL_NAME}-{SERVED_DATASET}"
    answer = client.post(
        "/api/v1/forecasts", json={"series_ids": [default["s00000"]]}, headers=admin
    )
    assert answer.status_code == 201, answer.text
    assert (answer.json()["model_name"], answer.json()["model_version"]) == (
        MODEL_NAME,
        MODEL_VERSION,
    )
    api_metrics = client.get("/metrics").text
    for dataset in ("default", SERVED_DATASET):
        assert f'quantis_api_forecasts_total{{dataset="{dataset}",' in api_metrics
        served = httpx.get(f"{model_server.url}/metrics", timeout=10).text
        assert f'quantis_model_forecast_requests_total{{dataset="{dataset}",' in served, dataset

    unserved = client.post(
        "/api/v1/forecasts", json={"series_ids": [daily["s00003"]]}, headers=admin
    )
    assert unserved.status_code == 503, unserved.text
    error = unserved.json()["error"]
    assert error["code"] == "dataset_not_served" and "'daily'" in error["message"]

    both = {"series_ids": [web["s00002"], default["s00000"]]}
    mixed = client.post("/api/v1/forecasts", json=both, headers=admin)
    assert mixed.status_code == 422, mixed.text
    assert mixed.json()["error"]["code"] == "mixed_datasets"


def test_a_series_forecast_is_explained_by_feature_group(client, headers, api_key):
    """`GET /series/{id}/explanation`: per step, base + contributions == raw and yhat is the
    served LightGBM model's forecast; a read key is enough, another dataset's key gets 404."""
    writer = headers("write")
    ids = _upload(client, writer, names=("s00000",))
    url = f"/api/v1/series/{ids['s00000']}/explanation?horizon=3"

    response = client.get(url, headers=headers("read"))
    assert response.status_code == 200, response.text
    explained = response.json()
    assert (explained["model_name"], explained["model_version"]) == (MODEL_NAME, MODEL_VERSION)
    assert explained["dataset"] == "default" and explained["horizon"] == 3
    assert len(explained["points"]) == 3
    body = {"series_ids": [ids["s00000"]], "horizon": 3, "levels": []}
    forecast = client.post("/api/v1/forecasts", json=body, headers=writer).json()
    for point, forecast_point in zip(
        explained["points"], forecast["forecasts"][0]["points"], strict=True
    ):
        assert set(point["contributions"]) == {"history", "calendar"}
        assert point["base"] + sum(point["contributions"].values()) == pytest.approx(point["raw"])
        assert point["ds"] == forecast_point["ds"]
        assert point["yhat"] == pytest.approx(forecast_point["yhat"])

    short = client.get(f"{url}&history=1", headers=writer)  # too short for the model's lags
    assert short.status_code == 422, short.text
    assert "too short" in short.json()["error"]["message"]

    admin = headers("admin")
    assert client.post(
        "/api/v1/datasets", json={"name": "other", "frequency": "D"}, headers=admin
    ).is_success
    other_key = {"Authorization": f"Bearer {api_key('read', datasets=['other'])}"}
    assert client.get(url, headers=other_key).status_code == 404
    assert client.get("/api/v1/series/999999/explanation", headers=writer).status_code == 404
