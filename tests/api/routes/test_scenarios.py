"""What-if scenarios through the API: created and run (the baseline and the changed future
values forecast side by side), listed, read, re-run against a newer champion, deleted; bad
specs are 422s and a dataset without a served champion a 503 with nothing stored."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

import api.scenarios
from api.forecasting import ModelForecasts
from core.db.tables import Series

SHOP = {
    "name": "shop",
    "frequency": "D",
    "covariates": [
        {"name": "price"},
        {"name": "promo", "type": "boolean"},
        {"name": "region", "type": "categorical", "kind": "static"},
    ],
}
DATES = pd.date_range("2030-01-01", periods=4, freq="D")
URL = "/api/v1/datasets/shop/scenarios"
SCENARIO = {
    "name": "promo and half price",
    "changes": [
        {"covariate": "promo", "start": "2030-01-02", "end": "2030-01-03", "value": True},
        {"covariate": "price", "start": "2030-01-03", "end": "2030-01-04", "op": "scale",
         "value": 0.5},
    ],
}  # fmt: skip


class FakeChampion:
    """Stands in for `model_forecasts`: records each call; the baseline forecasts 100 + step,
    the scenario adds 10 per promotion day and the price it was sent."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.version = "1"

    def __call__(self, session, client, metrics, *, series_ids, horizon, future=None, **rest):
        self.calls.append({"series_ids": series_ids, "horizon": horizon, "future": future})
        names = dict(session.execute(select(Series.id, Series.name)).all())
        sent = {} if future is None else {
            (u, pd.Timestamp(d)): (p, c) for u, d, p, c in future[
                ["unique_id", "ds", "promo", "price"]].itertuples(index=False)
        }  # fmt: skip
        points = {}
        for series_id in series_ids:
            points[series_id] = []
            for step, ds in enumerate(DATES[: horizon or 4]):
                promo, price = sent.get((names[series_id], ds), (0.0, 0.0))
                yhat = 100.0 + step + 10 * promo + price
                points[series_id].append(
                    {"ds": ds.isoformat() + "Z", "yhat": yhat,
                     "lower": {"80": yhat - 5}, "upper": {"80": yhat + 5}}
                )  # fmt: skip
        return ModelForecasts(
            dataset="shop", horizon=horizon or 4, levels=[80], model_name="quantis-shop",
            model_version=self.version, histories=[], points=points,
        )  # fmt: skip


@pytest.fixture
def champion(monkeypatch) -> FakeChampion:
    fake = FakeChampion()
    monkeypatch.setattr(api.scenarios, "model_forecasts", fake)
    return fake


def _shop(client, headers) -> dict[str, int]:
    assert client.post("/api/v1/datasets", json=SHOP, headers=headers("admin")).is_success
    ids = {}
    for name in ("a", "b"):
        created = client.post(
            "/api/v1/series", json={"name": name, "dataset": "shop"}, headers=headers("write")
        )
        ids[name] = created.json()["id"]
    own = [{"ts": f"{d.date()}T00:00:00Z", "name": "price", "value": 10.0} for d in DATES]
    posted = client.post(
        f"/api/v1/series/{ids['a']}/covariates", json={"values": own}, headers=headers("write")
    )
    assert posted.is_success, posted.text
    everyone = [
        {"ts": f"{d.date()}T00:00:00Z", "name": name, "value": value}
        for d in DATES
        for name, value in (("price", 20.0), ("promo", False))
    ]
    posted = client.post(
        "/api/v1/datasets/shop/covariates", json={"values": everyone}, headers=headers("write")
    )
    assert posted.is_success, posted.text
    return ids


def test_a_scenario_sends_the_changed_values_and_answers_both_forecasts(client, headers, champion):
    ids = _shop(client, headers)
    body = {**SCENARIO, "series": [ids["a"], ids["b"]]}
    created = client.post(URL, json=body, headers=headers("write"))
    assert created.status_code == 201, created.text

    baseline, scenario = champion.calls
    assert baseline["future"] is None
    future = scenario["future"]
    # the values the baseline uses (a's own price, b the dataset's), changed as the spec says,
    # on the dates the changes cover
    expected = pd.DataFrame(
        {
            "unique_id": ["a"] * 3 + ["b"] * 3,
            "ds": list(DATES[1:]) * 2,
            "promo": [1.0, 1.0, 0.0] * 2,
            "price": [10.0, 10.0 * 0.5, 10.0 * 0.5, 20.0, 20.0 * 0.5, 20.0 * 0.5],
        }
    )
    pd.testing.assert_frame_equal(future, expected, check_dtype=False)

    answer = created.json()
    run = answer["last_run"]
    assert run["model_version"] == "1" and run["horizon"] == 4 and run["levels"] == [80]
    sent = {(u, pd.Timestamp(d)): 10 * p + c for u, d, p, c in expected.itertuples(index=False)}
    for series in run["series"]:
        differences = [p["difference"] for p in series["points"]]
        assert differences == [
            sent.get((series["series"], d), 0.0) for d in DATES
        ]  # only the changed dates move
        for point in series["points"]:
            assert point["scenario"]["yhat"] - point["baseline"]["yhat"] == point["difference"]
            assert point["scenario"]["lower"]["80"] == point["scenario"]["yhat"] - 5
        assert series["total_difference"] == pytest.approx(sum(differences))
    assert run["total_difference"] == pytest.approx(sum(sent.values()))
    assert answer["spec"]["series"] == [ids["a"], ids["b"]]

    listed = client.get(URL, headers=headers("read")).json()
    assert [(s["name"], s["last_model_version"]) for s in listed] == [(SCENARIO["name"], "1")]
    assert listed[0]["last_total_difference"] == run["total_difference"]
    one = client.get(f"{URL}/{answer['id']}", headers=headers("read")).json()
    assert one["last_run"] == run

    champion.version = "2"  # a newer champion
    rerun = client.post(f"{URL}/{answer['id']}/run", headers=headers("write"))
    assert rerun.status_code == 200, rerun.text
    assert rerun.json()["last_run"]["model_version"] == "2"
    assert client.get(URL, headers=headers("read")).json()[0]["last_model_version"] == "2"
    assert client.post(URL, json=body, headers=headers("write")).status_code == 409

    assert client.delete(f"{URL}/{answer['id']}", headers=headers("write")).status_code == 204
    assert client.get(f"{URL}/{answer['id']}", headers=headers("read")).status_code == 404
    assert client.get(URL, headers=headers("read")).json() == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"covariate": "region", "value": "n"}, "is a static covariate"),
        ({"covariate": "promo", "op": "scale", "value": 2}, "only a numeric covariate"),
        ({"covariate": "promo", "start": "2030-01-04", "end": "2030-01-06", "value": True},
         "is not within the horizon"),
    ],
)  # fmt: skip
def test_a_bad_spec_is_a_422_and_nothing_is_stored(client, headers, champion, change, message):
    ids = _shop(client, headers)
    dates = {"start": "2030-01-02", "end": "2030-01-02"}
    body = {"name": "bad", "series": [ids["a"]], "changes": [{**dates, **change}]}
    answer = client.post(URL, json=body, headers=headers("write"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_scenario"
    assert message in answer.json()["error"]["message"]
    assert client.get(URL, headers=headers("read")).json() == []


def test_scenarios_of_other_datasets_and_their_series_are_out_of_reach(
    client, headers, champion, api_key
):
    ids = _shop(client, headers)
    body = {**SCENARIO, "series": [ids["a"]]}
    limited = {"Authorization": f"Bearer {api_key('write', 'read', datasets=['default'])}"}
    assert client.post(URL, json=body, headers=limited).status_code == 404
    assert client.get(URL, headers=limited).status_code == 404
    other = client.post("/api/v1/series", json={"name": "z"}, headers=headers("write")).json()
    body["series"] = [other["id"]]
    answer = client.post(URL, json=body, headers=headers("write"))
    assert answer.status_code == 422 and "not of dataset 'shop'" in answer.text
    body["series"] = [999_999]
    assert client.post(URL, json=body, headers=headers("write")).status_code == 404
    assert champion.calls == []


def test_a_dataset_without_a_served_champion_is_a_503_and_nothing_is_stored(client, headers):
    ids = _shop(client, headers)
    observations = {
        "observations": [{"series": "a", "ts": "2029-12-31T00:00:00Z", "value": 1.0}],
        "dataset": "shop",
    }
    posted = client.post("/api/v1/observations", json=observations, headers=headers("write"))
    assert posted.is_success, posted.text
    body = {**SCENARIO, "series": [ids["a"]], "horizon": len(DATES)}  # the values stored
    answer = client.post(URL, json=body, headers=headers("write"))
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "dataset_not_served"
    assert client.get(URL, headers=headers("read")).json() == []


def test_a_scenario_runs_against_the_served_covariate_champion(
    client, headers, covariate_model_dir
):
    from served_model import COVARIATE_DATASET, COVARIATE_HORIZON, retail_split

    from models.artifact import load_model_dir
    from tests.api.routes.test_forecasts import _retail

    admin = headers("admin")
    ids = _retail(client, admin, names=("p000",))
    _, history, ahead = retail_split()
    history, ahead = history[history["unique_id"] == "p000"], ahead[ahead["unique_id"] == "p000"]
    day = ahead.loc[ahead["promo"] == 0, "ds"].iloc[0]  # a day without a promotion
    change = {"covariate": "promo", "start": str(day.date()), "end": str(day.date()), "value": True}
    body = {"name": "one promotion day", "series": [ids["p000"]], "changes": [change]}
    created = client.post(
        f"/api/v1/datasets/{COVARIATE_DATASET}/scenarios", json=body, headers=admin
    )
    assert created.status_code == 201, created.text

    # the served champion, in process: the stored future values, then with the promotion on
    model, _ = load_model_dir(covariate_model_dir)
    changed = ahead.assign(promo=ahead["promo"].where(ahead["ds"] != day, 1.0))
    baseline, scenario = (
        list(model.predict(COVARIATE_HORIZON, levels=[80], history=history, future=f)["yhat"])
        for f in (ahead, changed)
    )
    [series] = created.json()["last_run"]["series"]
    assert [p["baseline"]["yhat"] for p in series["points"]] == pytest.approx(baseline)
    assert [p["scenario"]["yhat"] for p in series["points"]] == pytest.approx(scenario)
    assert baseline != scenario  # the promotion moves the forecast
    total = sum(s - b for s, b in zip(scenario, baseline, strict=True))
    assert series["total_difference"] == pytest.approx(total)
