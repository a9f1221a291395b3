"""Forecasts end to end over a real model server: request, store, read back, failures."""

from __future__ import annotations

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from served_model import (
    COVARIATE_DATASET,
    COVARIATE_HORIZON,
    HORIZON,
    MODEL_NAME,
    MODEL_VERSION,
    SERVED_DATASET,
    retail_split,
    tiny_panel,
)

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
    # A series of a dataset with no champion served yet has nothing to explain it: 404.
    unserved = _upload(client, admin, names=("s00004",), dataset="other")
    answer = client.get(f"/api/v1/series/{unserved['s00004']}/explanation", headers=admin)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "dataset_not_served"


# -- covariates --------------------------------------------------------------------------------
RETAIL = {
    "name": COVARIATE_DATASET,
    "frequency": "D",
    "horizon": COVARIATE_HORIZON,
    "levels": [80],
    "covariates": [
        {"name": "promo", "type": "boolean"},
        {"name": "price"},
        {"name": "region", "type": "categorical", "kind": "static"},
        {"name": "us_holidays", "type": "boolean", "kind": "calendar", "country": "US"},
    ],
}


def _retail(client, admin, names=("p000", "p001"), future_until=None) -> dict[str, int]:
    """The `retail` dataset (its served champion uses covariates) with the named series'
    history and their covariates stored: over the history and the horizon's dates (up to
    `future_until`, when given, for the last series)."""
    assert client.post("/api/v1/datasets", json=RETAIL, headers=admin).status_code == 201
    _, history, ahead = retail_split()
    history, ahead = history[history["unique_id"].isin(names)], ahead
    rows = [
        {"series": uid, "ts": ds.isoformat(), "value": y}
        for uid, ds, y in history[["unique_id", "ds", "y"]].itertuples(index=False)
    ]
    body = {"observations": rows, "create_missing_series": True, "dataset": COVARIATE_DATASET}
    assert client.post("/api/v1/observations", json=body, headers=admin).is_success
    page = client.get(f"/api/v1/series?dataset={COVARIATE_DATASET}", headers=admin).json()
    ids = {s["name"]: s["id"] for s in page["items"]}
    for name in names:
        stored = pd.concat([history, ahead])
        stored = stored[stored["unique_id"] == name]
        if future_until is not None and name == names[-1]:
            stored = stored[stored["ds"] <= future_until]
        values = [
            {"ts": ts.isoformat(), "name": column, "value": value}
            for ts, promo, price in stored[["ds", "promo", "price"]].itertuples(index=False)
            for column, value in (("promo", bool(promo)), ("price", price))
        ]
        region = [{"name": "region", "value": stored["region"].iloc[0]}]
        url = f"/api/v1/series/{ids[name]}/covariates"
        answer = client.post(url, json={"static": region, "values": values}, headers=admin)
        assert answer.status_code == 200, answer.text
    return ids


def _library_forecast(model_dir, name: str, **future_changes) -> list[float]:
    """The served model's forecast of a retail series from its history and covariates, in
    process (the recorded future values, `future_changes` in their place)."""
    from models.artifact import load_model_dir

    model, _ = load_model_dir(model_dir)
    _, history, ahead = retail_split()
    future = ahead[ahead["unique_id"] == name].assign(**future_changes)
    rows = history[history["unique_id"] == name]
    predicted = model.predict(COVARIATE_HORIZON, levels=[80], history=rows, future=future)
    return list(predicted["yhat"])


def _yhat(forecast: dict) -> list[float]:
    return [p["yhat"] for p in forecast["points"]]


def test_stored_covariates_are_sent_and_values_in_the_request_take_their_place(
    client, headers, covariate_model_dir
):
    admin = headers("admin")
    ids = _retail(client, admin)
    body = {"series_ids": [ids["p000"], ids["p001"]]}
    stored = client.post("/api/v1/forecasts", json=body, headers=admin)
    assert stored.status_code == 201, stored.text
    first, second = stored.json()["forecasts"]
    assert stored.json()["model_name"] == f"{MODEL_NAME}-{COVARIATE_DATASET}"
    # what the model forecasts with the stored values: history, static and horizon's
    assert _yhat(first) == pytest.approx(_library_forecast(covariate_model_dir, "p000"))
    assert _yhat(second) == pytest.approx(_library_forecast(covariate_model_dir, "p001"))

    # promo on every day for every series; p001's own rows (off) win over those
    _, _, ahead = retail_split()
    days = [ts.isoformat() for ts in ahead["ds"].unique()]
    shared = [{"ts": day, "name": "promo", "value": True} for day in days]
    own = [{"series_id": ids["p001"], "ts": day, "name": "promo", "value": 0} for day in days]
    sent = client.post("/api/v1/forecasts", json={**body, "future": shared + own}, headers=admin)
    assert sent.status_code == 201, sent.text
    promoted, off = sent.json()["forecasts"]
    assert _yhat(promoted) == pytest.approx(
        _library_forecast(covariate_model_dir, "p000", promo=1.0)
    )
    assert _yhat(off) == pytest.approx(_library_forecast(covariate_model_dir, "p001", promo=0.0))
    assert _yhat(promoted) != _yhat(first)

    explained = client.get(f"/api/v1/series/{ids['p000']}/explanation", headers=admin)
    assert explained.status_code == 200, explained.text
    point = explained.json()["points"][0]
    assert {"promo", "price", "region", "us_holidays"} <= set(point["contributions"])


def test_a_horizon_without_its_future_values_is_a_422_naming_them(client, headers):
    admin = headers("admin")
    _, _, ahead = retail_split()
    last_two = sorted(ahead["ds"].unique())[-2:]
    ids = _retail(client, admin, future_until=last_two[0] - pd.Timedelta(days=1))
    body = {"series_ids": [ids["p000"], ids["p001"]]}
    refused = client.post("/api/v1/forecasts", json=body, headers=admin)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "missing_future_covariates"
    days = [str(pd.Timestamp(d).date()) for d in last_two]
    missing = {
        (m["series_id"], m["series"], m["covariate"]): m["dates"]
        for m in error["details"]["missing"]
    }
    assert missing == {
        (ids["p001"], "p001", "promo"): days,
        (ids["p001"], "p001", "price"): days,
    }
    assert (
        f"series {ids['p001']} ('p001'), covariate 'promo': {days[0]}, {days[1]}"
        in (error["message"])
    )
    explained = client.get(f"/api/v1/series/{ids['p001']}/explanation", headers=admin)
    assert explained.json()["error"]["code"] == "missing_future_covariates"
    # sent in the request, for that series only: it is forecast
    future = [
        {"series_id": ids["p001"], "ts": pd.Timestamp(day).isoformat(), "name": name, "value": 1}
        for day in last_two
        for name in ("promo", "price")
    ]
    sent = client.post("/api/v1/forecasts", json={**body, "future": future}, headers=admin)
    assert sent.status_code == 201, sent.text
    half = client.post("/api/v1/forecasts", json={**body, "future": future[::2]}, headers=admin)
    assert half.json()["error"]["code"] == "missing_future_covariates"
    assert "covariate 'price'" in half.json()["error"]["message"]


def test_future_values_in_the_request_are_checked_against_the_declarations(client, headers):
    admin = headers("admin")
    ids = _retail(client, admin, names=("p000",))
    day = "2024-12-25T00:00:00Z"
    future = [
        {"ts": day, "name": "region", "value": "north"},  # static
        {"ts": day, "name": "weather", "value": 1.0},  # undeclared
        {"ts": day, "name": "price", "value": "cheap"},  # not a number
        {"ts": "2024-12-25T12:00:00Z", "name": "promo", "value": True},  # off the grid
        {"series_id": ids["p000"] + 1, "ts": day, "name": "promo", "value": True},
    ]
    body = {"series_ids": [ids["p000"]]}
    for i, (field, kind) in enumerate(
        [
            ("name", "undeclared_covariate"),
            ("name", "undeclared_covariate"),
            ("value", "invalid_covariate"),
            ("ts", "off_grid"),
            ("series_id", "unknown_series"),
        ]
    ):
        answer = client.post(
            "/api/v1/forecasts", json={**body, "future": [future[i]]}, headers=admin
        )
        assert answer.status_code == 422, answer.text
        [problem] = answer.json()["error"]["details"]["errors"]
        assert problem["loc"] == ["body", "future", 0, field] and problem["type"] == kind
    # a dataset without covariates takes no future values; without them it is as before
    plain = _upload(client, admin, names=("s00000",))
    sent = {"series_ids": [plain["s00000"]], "future": [{"ts": day, "name": "promo", "value": 1}]}
    refused = client.post("/api/v1/forecasts", json=sent, headers=admin)
    assert refused.status_code == 422 and "not a declared covariate" in refused.text


def test_model_forecasts_takes_an_override_frame_nan_keeping_the_stored_value(
    client, headers, covariate_model_dir
):
    """The seam scenarios build on: `model_forecasts(future=frame)`, `unique_id` a series name
    or None (every series), NaN where a value is not overridden; nothing is stored."""
    from api.errors import ApiError
    from api.forecasting import model_forecasts

    admin = headers("admin")
    ids = _retail(client, admin)
    _, _, ahead = retail_split()
    days = sorted(ahead["ds"].unique())
    frame = pd.DataFrame(
        {
            "unique_id": [None] * len(days) + ["p001"] * len(days),
            "ds": days * 2,
            "promo": [1.0] * len(days) + [0.0] * len(days),
            "price": float("nan"),
        }
    )
    state = client.app.state.quantis

    def forecast(future: pd.DataFrame):
        with state.sessions() as session:
            return model_forecasts(
                session,
                state.model_server,
                state.metrics,
                request_id="scenario",
                series_ids=[ids["p000"], ids["p001"]],
                horizon=None,
                levels=None,
                history_points=5000,
                future=future,
            )

    answer = forecast(frame)
    assert [p["yhat"] for p in answer.points[ids["p000"]]] == pytest.approx(
        _library_forecast(covariate_model_dir, "p000", promo=1.0)
    )
    assert [p["yhat"] for p in answer.points[ids["p001"]]] == pytest.approx(
        _library_forecast(covariate_model_dir, "p001", promo=0.0)
    )
    listed = client.get(f"/api/v1/series/{ids['p000']}/forecasts", headers=admin).json()
    assert listed["total"] == 0
    for bad, said in (
        (frame.assign(unique_id="p999"), "p999"),
        (frame.assign(region="north"), "region"),
    ):
        with pytest.raises(ApiError, match=said) as error:
            forecast(bad)
        assert error.value.status == 422 and error.value.code == "invalid_future_covariates"


def test_values_stored_for_every_series_fill_the_horizon_and_a_series_own_win(client, headers):
    admin = headers("admin")
    _, _, ahead = retail_split()
    last_two = sorted(ahead["ds"].unique())[-2:]
    ids = _retail(client, admin, future_until=last_two[0] - pd.Timedelta(days=1))
    values = [
        {"ts": pd.Timestamp(day).isoformat(), "name": name, "value": value}
        for day in last_two
        for name, value in (("promo", True), ("price", 1.0))
    ]
    own = {"series_ids": [ids["p000"]]}
    p000 = client.post("/api/v1/forecasts", json=own, headers=admin).json()["forecasts"][0]
    p001 = {
        "series_ids": [ids["p001"]],
        "future": [{"series_id": ids["p001"], **v} for v in values],
    }
    sent = client.post("/api/v1/forecasts", json=p001, headers=admin)
    assert sent.status_code == 201, sent.text

    url = f"/api/v1/datasets/{COVARIATE_DATASET}/covariates"
    assert client.post(url, json={"values": values}, headers=admin).status_code == 200
    body = {"series_ids": [ids["p000"], ids["p001"]]}
    stored = client.post("/api/v1/forecasts", json=body, headers=admin)
    assert stored.status_code == 201, stored.text
    first, second = stored.json()["forecasts"]
    assert _yhat(first) == pytest.approx(_yhat(p000))  # p000's own values win
    assert _yhat(second) == pytest.approx(_yhat(sent.json()["forecasts"][0]))
