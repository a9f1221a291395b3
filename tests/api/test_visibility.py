"""API keys limited to datasets: another dataset's series, observations, forecasts, accuracy and
the dataset itself answer 404 exactly as what does not exist (never 403); lists leave them out;
keys without a limit, and admin keys, see everything as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.datasets import DatasetConfig
from core.db.engine import make_engine, session_scope
from core.db.repositories.datasets import create_dataset
from core.db.repositories.forecasts import save_forecast
from core.db.repositories.observations import upsert_observations
from core.db.repositories.series import create_series

DAY = datetime(2026, 1, 7, tzinfo=UTC)
MISSING = 987_654  # no series or forecast has this id


@pytest.fixture
def two_datasets(api_settings) -> dict[str, int]:
    """Series `a` in `default` and `w` in `web`, each with an observation and a forecast."""
    engine = make_engine(api_settings.database_url)
    ids = {}
    with session_scope(engine) as session:
        web = create_dataset(session, DatasetConfig(name="web", frequency="D"))
        for name, dataset_id in (("a", None), ("w", web.id)):
            series = create_series(session, name, "D", dataset_id=dataset_id)
            upsert_observations(session, [(series.id, DAY, 1.0)])
            forecast = save_forecast(
                session, request_id="r", series_id=series.id, model_name="m", model_version="1",
                horizon=1, levels=[], points=[{"ds": DAY, "yhat": 1.0, "lo": {}, "hi": {}}],
            )  # fmt: skip
            ids[name], ids[f"{name}_forecast"] = series.id, forecast.id
    engine.dispose()
    return ids


def _error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_a_key_limited_to_a_dataset_sees_its_series_and_nothing_of_another(
    client, api_key, two_datasets
):
    web = {"X-API-Key": api_key("read", "write", datasets=["web"])}
    a, w = two_datasets["a"], two_datasets["w"]
    # its own dataset, as any key sees it
    listed = client.get("/api/v1/series?dataset=web", headers=web)
    assert listed.status_code == 200, listed.text
    assert [(s["name"], s["dataset"]) for s in listed.json()["items"]] == [("w", "web")]
    assert client.get(f"/api/v1/series/{w}/observations", headers=web).json()["total"] == 1
    assert client.get(f"/api/v1/series/{w}/forecasts", headers=web).json()["total"] == 1
    forecast = client.get(f"/api/v1/forecasts/{two_datasets['w_forecast']}", headers=web)
    assert forecast.status_code == 200
    # another dataset's series: 404 as a series that does not exist, same message
    for path in ("", "/observations", "/forecasts", "/forecasts/latest", "/accuracy"):
        hidden = client.get(f"/api/v1/series/{a}{path}", headers=web)
        absent = client.get(f"/api/v1/series/{MISSING}{path}", headers=web)
        assert _error(hidden) == _error(absent) == (404, "not_found"), path
        message = hidden.json()["error"]["message"]
        assert message == absent.json()["error"]["message"].replace(str(MISSING), str(a))
    hidden = client.get(f"/api/v1/forecasts/{two_datasets['a_forecast']}", headers=web)
    assert _error(hidden) == (404, "not_found")
    posted = client.post(f"/api/v1/series/{a}/observations",
                         json={"observations": [{"ts": DAY.isoformat(), "value": 5.0}]},
                         headers=web)  # fmt: skip
    assert _error(posted) == (404, "not_found")
    refused = client.post("/api/v1/forecasts", json={"series_ids": [w, a]}, headers=web)
    assert _error(refused) == (404, "not_found") and f"[{a}]" in refused.text
    # another dataset (`default` too): 404, naming only what the key may see
    for query in ("", "?dataset=default", "?dataset=absent"):
        response = client.get(f"/api/v1/series{query}", headers=web)
        assert _error(response) == (404, "not_found"), query
        assert "['web']" in response.text
    for dataset in ("default", None):
        body = {"observations": [{"series": "new", "ts": DAY.isoformat(), "value": 1.0}],
                "create_missing_series": True, "dataset": dataset}  # fmt: skip
        assert _error(client.post("/api/v1/observations", json=body, headers=web))[0] == 404
    created = client.post("/api/v1/series", json={"name": "n", "dataset": "default"}, headers=web)
    assert _error(created) == (404, "not_found")
    assert _error(client.get("/api/v1/models/1/accuracy", headers=web)) == (404, "not_found")
    # nothing was written to the hidden dataset
    admin = {"X-API-Key": api_key("admin")}
    assert [s["name"] for s in client.get("/api/v1/series", headers=admin).json()["items"]] == ["a"]
    latest = client.get(f"/api/v1/series/{a}/observations", headers=admin).json()
    assert [o["value"] for o in latest["items"]] == [1.0]


def test_datasets_and_the_key_itself_show_the_limit(client, api_key, two_datasets):
    web = {"X-API-Key": api_key("read", datasets=["web"])}
    assert [d["name"] for d in client.get("/api/v1/datasets", headers=web).json()] == ["web"]
    assert client.get("/api/v1/datasets/web", headers=web).status_code == 200
    hidden = client.get("/api/v1/datasets/default", headers=web)
    absent = client.get("/api/v1/datasets/absent", headers=web)
    assert _error(hidden) == _error(absent) == (404, "not_found")
    assert "default" not in absent.json()["error"]["message"]
    assert client.get("/api/v1/keys/me", headers=web).json()["datasets"] == ["web"]


@pytest.mark.parametrize("scopes", [("read",), ("admin",)])
def test_keys_without_a_limit_see_every_dataset(client, api_key, two_datasets, scopes):
    key = {"X-API-Key": api_key(*scopes)}
    assert client.get("/api/v1/keys/me", headers=key).json()["datasets"] is None
    names = [d["name"] for d in client.get("/api/v1/datasets", headers=key).json()]
    assert names == ["default", "web"]
    for name in ("a", "w"):
        series = client.get(f"/api/v1/series/{two_datasets[name]}", headers=key)
        assert series.status_code == 200, series.text
    listed = client.get("/api/v1/series", headers=key).json()["items"]
    assert [(s["name"], s["dataset"]) for s in listed] == [("a", "default")]
