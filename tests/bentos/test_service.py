"""The model server as a real `bentoml serve` process: forecasts, limits, identity, metrics."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from served_model import (
    COVARIATE_DATASET,
    COVARIATE_HORIZON,
    MODEL_NAME,
    MODEL_VERSION,
    REPO_ROOT,
    tiny_panel,
)

from bentos.schemas import MAX_HISTORY, MAX_HORIZON, MAX_LEVELS, MAX_SERIES


def _series(series_id: str = "a", source: str = "s00000") -> dict:
    panel = tiny_panel()
    rows = panel[panel["unique_id"] == source]
    return {
        "id": series_id,
        "timestamps": [ts.isoformat() for ts in rows["ds"]],
        "values": rows["y"].tolist(),
    }


def _post(server, route: str, body: dict, **kwargs) -> httpx.Response:
    return httpx.post(f"{server.url}{route}", json=body, timeout=30, **kwargs)


def test_forecast_answers_with_points_and_the_model_identity(model_server):
    body = {"series": [_series("a"), _series("b", "s00001")], "horizon": 3, "levels": [80]}
    response = _post(model_server, "/forecast", body, headers={"X-Request-ID": "r-1"})
    assert response.status_code == 200, response.text
    forecasts = response.json()
    assert [f["id"] for f in forecasts] == ["a", "b"]
    assert len(forecasts[0]["points"]) == 3
    assert set(forecasts[0]["points"][0]) == {"ds", "yhat", "lower", "upper"}
    assert response.headers["X-Quantis-Model-Version"] == MODEL_VERSION
    assert response.headers["X-Quantis-Model-Name"] == MODEL_NAME
    assert response.headers["X-Request-ID"] == "r-1"


def test_a_covariate_model_forecasts_with_the_covariates_sent_and_names_missing_ones(
    model_server,
):
    """The `retail` dataset's champion uses covariates: a series carries them (history,
    static, future) through the real server; a horizon without them is a 400 naming them."""
    from test_inference import covariate_history

    on = [True] * COVARIATE_HORIZON
    series = covariate_history("a").model_dump(mode="json")
    promoted = covariate_history("a", promo=on).model_dump(mode="json")
    body = {"series": [series], "horizon": COVARIATE_HORIZON, "dataset": COVARIATE_DATASET}
    plain = _post(model_server, "/forecast", body)
    assert plain.status_code == 200, plain.text
    assert plain.headers["X-Quantis-Dataset"] == COVARIATE_DATASET
    assert len(plain.json()[0]["points"]) == COVARIATE_HORIZON
    switched = _post(model_server, "/forecast", {**body, "series": [promoted]})
    assert switched.json() != plain.json()
    explained = _post(model_server, "/explain", {**body, "series": [promoted]})
    assert (
        explained.status_code == 200
        and "promo" in explained.json()[0]["points"][0]["contributions"]
    )
    missing = {**series, "future": {**series["future"], "values": {"promo": on}}}
    refused = _post(model_server, "/forecast", {**body, "series": [missing]})
    assert refused.status_code == 400
    assert "series 'a', covariate 'price'" in refused.text
    # a request without covariates to the models without them is unchanged by the fields
    assert _post(model_server, "/forecast", {"series": [_series("a")], "horizon": 3}).is_success


def test_explain_answers_contributions_by_feature_group_for_the_served_model(model_server):
    body = {"series": [_series("a")], "horizon": 3}
    response = _post(model_server, "/explain", body)
    assert response.status_code == 200, response.text
    [explained] = response.json()
    assert explained["id"] == "a" and len(explained["points"]) == 3
    point = explained["points"][0]
    assert set(point["contributions"]) == {"history", "calendar"}
    assert point["base"] + sum(point["contributions"].values()) == pytest.approx(point["raw"])
    forecast = _post(model_server, "/forecast", {**body, "levels": []}).json()
    assert point["yhat"] == pytest.approx(forecast[0]["points"][0]["yhat"])
    assert response.headers["X-Quantis-Model-Version"] == MODEL_VERSION
    too_long = _post(model_server, "/explain", {**body, "horizon": MAX_HORIZON + 1})
    assert too_long.status_code == 400 and "horizon" in too_long.text


def test_model_info_reports_name_version_and_limits(model_server):
    info = _post(model_server, "/model_info", {}).json()
    assert (info["name"], info["version"], info["freq"]) == (MODEL_NAME, MODEL_VERSION, "D")
    assert info["limits"]["max_series"] == MAX_SERIES


def _gappy() -> dict:
    series = _series("gappy")
    del series["timestamps"][50], series["values"][50]
    return series


def _limit_cases() -> list[tuple[dict, str]]:
    one = [_series()]
    long = {
        "id": "long",
        "timestamps": ["2024-01-01"] * (MAX_HISTORY + 1),
        "values": [1.0] * (MAX_HISTORY + 1),
    }
    return [
        ({"series": one, "horizon": MAX_HORIZON + 1}, f"between 1 and {MAX_HORIZON}"),
        ({"series": one, "horizon": 0}, "horizon must be"),
        ({"series": [], "horizon": 3}, f"between 1 and {MAX_SERIES} series"),
        ({"series": [_series(str(i)) for i in range(MAX_SERIES + 1)]}, "got 501"),
        ({"series": one, "levels": [100]}, "(0, 100)"),
        ({"series": one, "levels": list(range(1, MAX_LEVELS + 2))}, f"at most {MAX_LEVELS}"),
        ({"series": [long]}, "at most 5000"),
        (
            {"series": [{"id": "a", "timestamps": ["2024-01-01"], "values": [1, 2]}]},
            "1 timestamps but 2",
        ),
        ({"series": [_series("a"), _series("a")]}, "repeated"),
        ({"series": [_gappy()]}, "gappy"),
    ]


@pytest.mark.parametrize("case", range(len(_limit_cases())))
def test_limits_and_bad_input_are_400_with_a_message(model_server, case):
    body, expected = _limit_cases()[case]
    response = _post(model_server, "/forecast", body)
    assert response.status_code == 400, response.text
    assert expected in response.text


def test_invalid_json_is_400(model_server):
    response = httpx.post(
        f"{model_server.url}/forecast",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400


def test_health_routes_answer(model_server):
    for route in ("/healthz", "/readyz", "/livez"):
        assert httpx.get(f"{model_server.url}{route}", timeout=10).status_code == 200


def _metric(text: str, name: str) -> float:
    pattern = rf'^{name}\{{[^}}]*model_version="{MODEL_VERSION}"[^}}]*\}} ([0-9.e+]+)$'
    return sum(float(v) for v in re.findall(pattern, text, re.MULTILINE))


def test_concurrent_requests_are_batched_and_metrics_carry_dataset_and_model_version(
    model_server,
):
    def one(i: int) -> int:
        body = {"series": [_series(f"c{i}", f"s{i % 6:05d}")], "horizon": 7}
        return _post(model_server, "/forecast", body).status_code

    before = httpx.get(f"{model_server.url}/metrics", timeout=10).text
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(one, range(48)))
    assert statuses == [200] * 48
    after = httpx.get(f"{model_server.url}/metrics", timeout=10).text
    calls = _metric(after, "quantis_model_batch_requests_count") - _metric(
        before, "quantis_model_batch_requests_count"
    )
    batched = _metric(after, "quantis_model_batch_requests_sum") - _metric(
        before, "quantis_model_batch_requests_sum"
    )
    batch_lines = [
        line for line in (before + after).splitlines() if "quantis_model_batch_requests_" in line
    ]
    assert batched == 48 and calls < 48, "\n".join(batch_lines)  # fewer calls than requests
    assert _metric(after, "quantis_model_forecast_latency_seconds_count") >= 48
    assert (
        'quantis_model_forecast_requests_total{dataset="default",model_name="quantis-forecaster",'
        'model_version="7",outcome="ok"}' in after
    )
    assert _metric(after, "quantis_model_info") == 1


def test_the_bentofile_is_declarative_and_only_the_gpu_setting_declares_a_gpu(tiny_model_dir):
    import subprocess
    import sys

    import yaml

    from bentos.serve import serve_environment

    bentofile = yaml.safe_load((REPO_ROOT / "bentos" / "bentofile.yaml").read_text())
    assert bentofile["service"] == "bentos.service:ModelServer"
    assert bentofile["python"]["lock_packages"] is False
    # One Bento for both images: the -gpu variant is a target of the model-server Dockerfile.
    assert not (REPO_ROOT / "bentos" / "bentofile.gpu.yaml").exists()

    # What BentoML's allocator reads: the service's configuration after BentoML's overrides.
    probe = (
        "import json, bentos.service as s; s.ModelServer.inject_config(); "
        "from bentoml._internal.configuration.containers import BentoMLContainer as C; "
        "print(json.dumps(C.config.services[s.ModelServer.name].get()['resources']))"
    )

    def resources(gpu: bool) -> dict:
        base = {"QUANTIS_MODEL_DIR": str(tiny_model_dir), "PATH": "/usr/bin:/bin"}
        out = subprocess.run(
            [sys.executable, "-c", probe],
            env=serve_environment(base, gpu=gpu),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    assert "gpu" not in resources(gpu=False)
    assert resources(gpu=True)["gpu"] == 1


def test_the_gpu_overrides_keep_bentoml_overrides_already_set():
    from bentos.serve import serve_environment

    given = {"BENTOML_CONFIG_OVERRIDES": json.dumps({"services": {"other": {"workers": 2}}})}
    overrides = json.loads(serve_environment(given, gpu=True)["BENTOML_CONFIG_OVERRIDES"])
    assert overrides["services"]["other"] == {"workers": 2}
    assert overrides["services"]["quantis-model-server"]["resources"] == {"gpu": 1}
    assert serve_environment(given, gpu=False) == given


def test_the_batch_cap_comes_from_the_environment(tiny_model_dir):
    import subprocess
    import sys

    probe = "import bentos.service as s; print(s.max_batch_series())"
    env = {
        "QUANTIS_MODEL_DIR": str(tiny_model_dir),
        "QUANTIS_MODEL_SERVER_MAX_BATCH_SERIES": "1",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert out.stdout.strip().splitlines()[-1] == "1", out.stderr
