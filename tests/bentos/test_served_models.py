"""One server process, one model per dataset: each dataset's model is found on the artifacts
volume, swapped on its own, and a swap never makes another dataset's requests wait."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from served_model import (
    COVARIATE_DATASET,
    MODEL_NAME,
    SERVED_DATASET,
    SERVED_DATASET_VERSION,
    put_dataset_version,
)
from test_inference import history

from bentos.batching import ForecastBatcher
from bentos.inference import forecast_histories
from bentos.model_source import ModelSourceError
from bentos.served_models import (
    DatasetNotServedError,
    ServedModels,
    dataset_model_dir,
    initial_datasets,
)
from core.settings import load_settings
from models.artifact import load_model_dir

put_version = put_dataset_version


def _models(loader=load_model_dir) -> ServedModels:
    return ServedModels(loader, lambda model, _labels: ForecastBatcher(model, max_series=64))


def test_each_dataset_has_its_model_and_an_unknown_one_is_named(tmp_path, tiny_model_dir):
    models = _models()
    models.load("default", tiny_model_dir, "dir")
    models.load("web", put_version(tmp_path, tiny_model_dir, "web", "3"), "volume")
    assert models.get("web").manifest.version == "3"
    assert models.get("default").manifest.version == "7"
    with pytest.raises(DatasetNotServedError, match=r"'shop' \(served: default, web\)"):
        models.get("shop")


def test_a_swap_replaces_one_dataset_and_leaves_the_others_untouched(tmp_path, tiny_model_dir):
    models = _models()
    models.load("web", put_version(tmp_path, tiny_model_dir, "web", "3"), "v3")
    models.load("shop", put_version(tmp_path, tiny_model_dir, "shop", "5"), "v5")
    shop_before = models.get("shop")
    new, replaced = models.load("web", put_version(tmp_path, tiny_model_dir, "web", "4"), "v4")
    assert (new.manifest.version, replaced.manifest.version) == ("4", "3")
    assert models.get("web") is new
    assert models.get("shop") is shop_before  # the very same loaded model and batcher


def test_each_dataset_s_metrics_carry_its_name(tmp_path, tiny_model_dir):
    """One process serves many datasets: its metric labels tell their requests apart."""
    batcher_labels = {}

    def batcher(model, labels):
        batcher_labels[labels["dataset"]] = labels
        return ForecastBatcher(model, max_series=64)

    models = ServedModels(load_model_dir, batcher)
    models.load("web", put_version(tmp_path, tiny_model_dir, "web", "3"), "v3")
    models.load("shop", put_version(tmp_path, tiny_model_dir, "shop", "5"), "v5")
    expected = {
        dataset: {"dataset": dataset, "model_name": f"{MODEL_NAME}-{dataset}", "model_version": v}
        for dataset, v in [("web", "3"), ("shop", "5")]
    }
    assert batcher_labels == expected
    assert {d: models.get(d).labels for d in ("web", "shop")} == expected


def test_a_version_that_does_not_load_leaves_the_served_one(tmp_path, tiny_model_dir):
    models = _models()
    models.load("web", put_version(tmp_path, tiny_model_dir, "web", "3"), "v3")
    broken = tmp_path / "broken"
    broken.mkdir()
    with pytest.raises(FileNotFoundError):
        models.load("web", broken, "broken")
    assert models.get("web").manifest.version == "3"


def test_other_datasets_are_answered_while_one_is_loading(tmp_path, tiny_model_dir):
    loading, release = threading.Event(), threading.Event()

    def slow_for_v4(directory: Path):
        if directory.name == "4":
            loading.set()
            assert release.wait(30)
        return load_model_dir(directory)

    models = _models(slow_for_v4)
    models.load("web", put_version(tmp_path, tiny_model_dir, "web", "3"), "v3")
    models.load("shop", put_version(tmp_path, tiny_model_dir, "shop", "5"), "v5")
    v4 = put_version(tmp_path, tiny_model_dir, "web", "4")
    swap = threading.Thread(target=models.load, args=("web", v4, "v4"))
    swap.start()
    try:
        assert loading.wait(30)
        # Mid-load: both datasets answer at once, `web` still with its old model.
        assert models.get("shop").manifest.version == "5"
        assert models.get("web").manifest.version == "3"
    finally:
        release.set()
        swap.join(30)
    assert models.get("web").manifest.version == "4"


def test_a_retired_batcher_answers_what_was_queued_then_stops(tiny_model):
    async def main():
        batcher = ForecastBatcher(tiny_model, max_series=64)
        queued = [
            asyncio.ensure_future(batcher.submit([history(f"r{i}")], 3, [80])) for i in range(3)
        ]
        await asyncio.sleep(0)  # the three are queued (the drain task starts with the first)
        batcher.retire()
        answers = await asyncio.gather(*queued)
        await asyncio.wait_for(batcher._worker, 10)  # the drain task ends: the model is freed
        return answers

    answers = asyncio.run(main())
    assert answers[0] == forecast_histories(tiny_model, [history("r0")], 3, [80])
    assert len(answers) == 3


def test_a_starting_server_loads_default_and_each_served_dataset(tmp_path, tiny_model_dir):
    put_version(tmp_path, tiny_model_dir, "web", "3")
    settings = load_settings(model_artifacts_dir=tmp_path, served_dataset_versions={"web": "3"})
    chosen = initial_datasets(tiny_model_dir, "bento", settings)
    assert chosen == {
        "default": (tiny_model_dir, "bento"),
        "web": (tmp_path / f"{MODEL_NAME}-web" / "3", str(tmp_path / f"{MODEL_NAME}-web" / "3")),
    }


def test_a_served_dataset_version_missing_from_the_volume_stops_the_server(
    tmp_path, tiny_model_dir
):
    put_version(tmp_path, tiny_model_dir, "web", "3")
    settings = load_settings(model_artifacts_dir=tmp_path, served_dataset_versions={"web": "9"})
    with pytest.raises(ModelSourceError, match="no version 9 of quantis-forecaster-web"):
        initial_datasets(tiny_model_dir, "bento", settings)
    with pytest.raises(ModelSourceError, match="served_model_version"):
        initial_datasets(
            tiny_model_dir, "bento", load_settings(served_dataset_versions={"default": "1"})
        )
    with pytest.raises(ModelSourceError, match="model_artifacts_dir is not set"):
        dataset_model_dir(None, MODEL_NAME, "web", "3")
    with pytest.raises(ModelSourceError, match="cannot name a folder"):
        dataset_model_dir(tmp_path, MODEL_NAME, "web", "../3")


def test_the_served_versions_come_from_the_environment_as_json(monkeypatch):
    monkeypatch.setenv("QUANTIS_SERVED_DATASET_VERSIONS", '{"web": "3", "shop": "12"}')
    assert load_settings().served_dataset_versions == {"web": "3", "shop": "12"}


def test_one_server_process_serves_and_swaps_each_dataset(model_server):
    """The session's real `bentoml serve`: `default` from its folder, `web` version 3 from the
    artifacts volume; `web`'s swap to version 4 changes nothing of `default`'s answers."""
    import httpx

    def post(route: str, body: dict) -> httpx.Response:
        return httpx.post(f"{model_server.url}{route}", json=body, timeout=60)

    one = {"series": [history("a").model_dump(mode="json")], "horizon": 3}
    default_before = post("/forecast", one)
    assert default_before.headers["X-Quantis-Model-Version"] == "7"
    web = post("/forecast", {**one, "dataset": SERVED_DATASET})
    assert web.status_code == 200, web.text
    assert web.headers["X-Quantis-Model-Name"] == f"{MODEL_NAME}-{SERVED_DATASET}"
    assert web.headers["X-Quantis-Model-Version"] in (SERVED_DATASET_VERSION, "4")

    missing = post("/forecast", {**one, "dataset": "shop"})
    assert missing.status_code == 404 and "'shop'" in missing.text

    swapped = post("/load_model", {"dataset": SERVED_DATASET, "version": "4"})
    assert swapped.status_code == 200, swapped.text
    assert swapped.json()["version"] == "4"
    again = post("/forecast", {**one, "dataset": SERVED_DATASET})
    assert again.headers["X-Quantis-Model-Version"] == "4"
    default_after = post("/forecast", one)
    assert default_after.headers["X-Quantis-Model-Version"] == "7"
    assert default_after.json() == default_before.json()

    absent = post("/load_model", {"dataset": SERVED_DATASET, "version": "5"})
    assert absent.status_code == 404 and "no version 5" in absent.text
    refused = post("/load_model", {"dataset": "default", "version": "4"})
    assert refused.status_code == 404 and "roll it out" in refused.text
    served = {m["dataset"]: m["version"] for m in post("/served_models", {}).json()}
    assert served == {"default": "7", SERVED_DATASET: "4", COVARIATE_DATASET: "1"}


def test_a_datasets_swaps_never_fail_or_change_anothers_continuous_forecasts(model_server):
    """Issue 23's isolation: `web` is rolled out (swapped) again and again while `default` is
    forecast continuously by the same real server: no `default` request fails and every answer
    is the one from before the swaps."""
    import time

    import httpx

    one = {"series": [history("a").model_dump(mode="json")], "horizon": 3}
    answers: list[tuple[float, int, object]] = []  # end, status, body
    stop = threading.Event()

    def forecast_default() -> None:
        with httpx.Client(base_url=model_server.url, timeout=60) as own:
            while not stop.is_set():
                response = own.post("/forecast", json=one)
                body = response.json() if response.status_code == 200 else response.text
                answers.append((time.monotonic(), response.status_code, body))

    with httpx.Client(base_url=model_server.url, timeout=60) as client:
        baseline = client.post("/forecast", json=one)
        assert baseline.status_code == 200, baseline.text
        forecaster = threading.Thread(target=forecast_default)
        forecaster.start()
        swaps, deadline = 0, time.monotonic() + 120
        try:
            while not answers and time.monotonic() < deadline:
                time.sleep(0.01)
            began = time.monotonic()
            # swap `web` between two versions until `default` answered 30 times meanwhile
            while time.monotonic() < deadline and (
                swaps < 2 or sum(end > began for end, _, _ in answers) < 30
            ):
                version = "4" if swaps % 2 == 0 else SERVED_DATASET_VERSION
                swapped = client.post(
                    "/load_model", json={"dataset": SERVED_DATASET, "version": version}
                )
                assert swapped.status_code == 200, swapped.text
                swaps += 1
            ended = time.monotonic()
        finally:
            stop.set()
            forecaster.join(60)
    meanwhile = [(status, body) for end, status, body in answers if began < end <= ended]
    assert len(meanwhile) >= 30 and swaps >= 2, (len(meanwhile), swaps)
    assert [status for _, status, _ in answers if status != 200] == []
    assert all(body == baseline.json() for _, _, body in answers)
