"""Two datasets of different frequencies end to end, as a user runs the platform: created with
`quantis dataset`, a file landed under each one's prefix, the pipeline of `quantis up --once`
(every dataset: land, validate, train, promote, serve, batch forecasts), a forecast through
the REST API, then a later file with the actuals and the monitoring job's live accuracy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.config import ApiOptions
from api.main import create_app
from core import job_names
from core.mlflow_names import TAG_DATASET, registered_model_name
from core.registry import ModelRegistry
from core.settings import Settings, get_settings
from models.datasets import synthetic_panel
from orchestration.defs.monitoring.assets import monitoring_key
from orchestration.defs.serving.served_datasets import local_artifacts_dir, read_served
from quantis.commands import dataset as dataset_cli
from quantis.launch.decision import run_every_dataset
from quantis.launch.startup import active_model_server, first_admin_key, prepare
from quantis.pipeline_runner import PipelineOutcome, run_pipeline
from tests.orchestration.conftest import post_json

pytestmark = pytest.mark.slow

SHARDS = 2  # batch forecast shards: two per dataset, fewer runs than the default four


@dataclass(frozen=True)
class Problem:
    """One dataset of the test: its panel and what `quantis dataset` is told of it."""

    name: str
    frequency: str
    horizon: int
    series: int
    history: int  # points landed first; the next `horizon` points land later as actuals
    seed: int

    @property
    def panel(self) -> pd.DataFrame:
        full = synthetic_panel(self.series, self.history + self.horizon, self.frequency, self.seed)
        return full.assign(unique_id=self.name + "-" + full["unique_id"])

    @property
    def landed(self) -> pd.DataFrame:
        return self.panel.groupby("unique_id").head(self.history)

    @property
    def actuals(self) -> pd.DataFrame:
        return self.panel.groupby("unique_id").tail(self.horizon)

    @property
    def forecast_dates(self) -> list[pd.Timestamp]:
        """The dataset's grid after the last landed point, `horizon` steps."""
        last = self.landed["ds"].max()
        return list(pd.date_range(last, periods=self.horizon + 1, freq=self.frequency)[1:])


# `default` (it exists from `quantis db upgrade` on) quarterly, `web` daily.
QUARTERLY = Problem("default", "QS", horizon=4, series=5, history=32, seed=3)
DAILY = Problem("web", "D", horizon=7, series=3, history=84, seed=4)
PROBLEMS = (QUARTERLY, DAILY)


@pytest.fixture
def settings(pipeline_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("QUANTIS_BATCH_FORECAST_SHARDS", str(SHARDS))
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    """The REST API as `quantis up` serves it, with the admin key `quantis up` creates."""
    key = first_admin_key(settings)
    assert key is not None
    app = create_app(settings, ApiOptions.from_settings(settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield client


def _dataset_command(settings: Settings, *args: str) -> None:
    app = typer.Typer()
    app.add_typer(dataset_cli.app, name="dataset")
    result = CliRunner().invoke(app, ["dataset", *args, "--url", settings.database_url])
    assert result.exit_code == 0, result.output


def _define(settings: Settings, problem: Problem) -> None:
    """`quantis dataset create` (`update` for `default`), with a small model to train fast."""
    action = "update" if problem.name == "default" else "create"
    _dataset_command(
        settings, action, problem.name, "--frequency", problem.frequency,
        "--horizon", str(problem.horizon), "--override", "num_boost_round=40",
    )  # fmt: skip


def _land(landing, problem: Problem, frame: pd.DataFrame, name: str) -> None:
    folder = landing / problem.name
    folder.mkdir(exist_ok=True)
    frame.to_csv(folder / name, index=False)


def _run_job(settings: Settings, job: str, dataset: str, partition=None) -> PipelineOutcome:
    outcome = run_pipeline(settings, job_name=job, dataset=dataset, partition=partition)
    assert outcome.success, (job, dataset, outcome.failures)
    return outcome


def _timestamps(points: list[dict]) -> list[pd.Timestamp]:
    return [pd.Timestamp(p["ds"]).tz_convert(None) for p in points]


def _series_ids(api: TestClient, problem: Problem) -> dict[str, int]:
    page = api.get("/api/v1/series", params={"dataset": problem.name, "limit": 100})
    assert page.status_code == 200, page.text
    return {item["name"]: item["id"] for item in page.json()["items"]}


def test_two_datasets_of_different_frequencies_end_to_end(settings, landing, api):
    for problem in PROBLEMS:
        _define(settings, problem)
        _land(landing, problem, problem.landed, "history.csv")

    # What `quantis up --once` runs: every dataset's pipeline, then its batch forecasts.
    said: list[str] = []
    prepare(settings, said.append, demo_data=False)
    outcomes = run_every_dataset(
        settings,
        lambda job, dataset, partition=None: run_pipeline(
            settings, job_name=job, dataset=dataset, partition=partition
        ),
        said.append,
        retrain=False,
    )
    assert list(outcomes) == ["default", "web"]
    for problem in PROBLEMS:
        outcome = outcomes[problem.name]
        assert outcome.success, (problem.name, outcome.failures, said)
        assert outcome.failed_checks == []
        # Validated and stored in its own dataset, trained at its own frequency.
        observations = outcome.metadata["observations"]
        assert observations["dataset"] == problem.name
        assert observations["rows_inserted"] == len(problem.landed), observations
        assert observations["series"] == problem.series
        assert observations["frequency"].startswith(problem.frequency)
        assert outcome.metadata["trained_model"]["series"] == problem.series
        assert outcome.metadata["trained_model"]["freq"].startswith(problem.frequency)
        # Promoted: its first version beat seasonal naive in its own backtest.
        decision = outcome.metadata["registered_model"]["decision"]
        assert decision.startswith("no champion yet; challenger MASE"), decision

    # A registered model per dataset, its version 1 the champion, served by the one server.
    champions = {}
    for problem in PROBLEMS:
        name = registered_model_name(settings.registered_model_name, problem.name)
        champion = ModelRegistry(settings.mlflow_tracking_uri, name).champion()
        assert champion is not None, problem.name
        assert champion.tags[TAG_DATASET] == problem.name
        champions[problem.name] = (name, champion.version)
    assert {name: version for name, (_, version) in champions.items()} == {
        "default": "1",
        "web": "1",
    }
    assert champions["default"][0] != champions["web"][0]
    # (`default`'s version is the Bento's; the others' are recorded for a server's start.)
    assert read_served(local_artifacts_dir(settings)) == {"web": "1"}
    server_url, pid = active_model_server(settings)
    assert server_url and pid
    served = {info["dataset"]: info for info in post_json(f"{server_url}/served_models", {})}
    assert {name: (info["name"], info["version"]) for name, info in served.items()} == champions
    for problem in PROBLEMS:
        assert served[problem.name]["horizon"] == problem.horizon

    requested = {}  # dataset -> (series name, its forecast through the API)
    for problem in PROBLEMS:
        name, version = champions[problem.name]
        ids = _series_ids(api, problem)
        assert sorted(ids) == sorted(problem.landed["unique_id"].unique())
        # A forecast through the REST API, at the dataset's horizon, on its grid.
        first = min(ids)
        response = api.post("/api/v1/forecasts", json={"series_ids": [ids[first]]})
        assert response.status_code == 201, response.text
        answer = response.json()
        assert (answer["model_name"], answer["model_version"]) == (name, version)
        [forecast] = answer["forecasts"]
        assert forecast["horizon"] == problem.horizon
        assert _timestamps(forecast["points"]) == problem.forecast_dates
        requested[problem.name] = (first, forecast)
        # The batch forecasts: one per series, by the champion, at its horizon, on its grid.
        for series_id in ids.values():
            latest = api.get(
                f"/api/v1/series/{series_id}/forecasts/latest", params={"kind": "batch"}
            )
            assert latest.status_code == 200, latest.text
            batch = latest.json()
            assert (batch["model_name"], batch["model_version"]) == (name, version)
            assert batch["horizon"] == problem.horizon
            assert _timestamps(batch["points"]) == problem.forecast_dates

    # Later, the actuals of the forecast dates land; each dataset's first forecast day is
    # scored by the monitoring job against the forecasts of its champion.
    for problem in PROBLEMS:
        _land(landing, problem, problem.actuals, "actuals.csv")
        ingested = _run_job(settings, job_names.INGESTION, problem.name)
        stored = ingested.metadata["observations"]
        assert stored["rows_inserted"] == len(problem.actuals)
        assert stored["panel_rows"] == len(problem.panel)
        day = problem.forecast_dates[0].date()
        _run_job(settings, job_names.MONITORING, problem.name, monitoring_key(problem.name, day))

    for problem in PROBLEMS:
        _, version = champions[problem.name]
        accuracy = api.get(f"/api/v1/models/{version}/accuracy", params={"dataset": problem.name})
        assert accuracy.status_code == 200, accuracy.text
        figures = accuracy.json()
        day = problem.forecast_dates[0].date().isoformat()
        assert [d["day"] for d in figures["daily"]] == [day]
        # Every series scored once, its newest forecast of the day counting.
        assert figures["live"]["series"] == figures["live"]["points"] == problem.series
        assert figures["live"]["days"] == 1
        assert figures["live"]["mase"] is not None and figures["live"]["mase"] > 0
        # The series forecast through the API: its outcomes are that forecast's points
        # next to the actuals that landed later.
        series_name, forecast = requested[problem.name]
        outcomes = api.get(f"/api/v1/series/{forecast['series_id']}/accuracy")
        assert outcomes.status_code == 200, outcomes.text
        shown = outcomes.json()
        assert [(v["version"], v["points"]) for v in shown["versions"]] == [(version, 1)]
        actual = problem.actuals[problem.actuals["unique_id"] == series_name]
        assert [
            (pd.Timestamp(o["ds"]).tz_convert(None), o["version"], o["forecast"], o["actual"])
            for o in shown["outcomes"]
        ] == [
            (ds, version, point["yhat"], pytest.approx(y))
            for ds, point, y in zip(
                problem.forecast_dates, forecast["points"], actual["y"], strict=True
            )
        ]
