"""Registration and promotion through the `registered_model` asset, against a real MLflow
store: a worse challenger stays challenger, a better one becomes champion, and rollback
restores the champion it replaced."""

from __future__ import annotations

import dagster as dg
import mlflow
import pytest

from core.registry import ModelRegistry
from orchestration.contracts import BacktestReport, TrainedModel
from orchestration.defs.registry.assets import registered_model
from orchestration.resources import MLflowTracking, PipelinePolicy, StepScratch


class ConstantModel(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


@pytest.fixture
def tracking(isolated_settings) -> MLflowTracking:
    home = isolated_settings
    home.mkdir(parents=True, exist_ok=True)
    return MLflowTracking(
        tracking_uri=f"sqlite:///{home / 'mlflow.db'}",
        artifact_root=str(home / "artifacts"),
        model_name="quantis-test",
    )


def _trained(tracking: MLflowTracking) -> TrainedModel:
    mlflow.set_tracking_uri(tracking.tracking_uri)
    with mlflow.start_run(experiment_id=tracking.experiment_id()) as run:
        info = mlflow.pyfunc.log_model(
            name="model", python_model=ConstantModel(), pip_requirements=[]
        )
    return TrainedModel(
        run_id=run.info.run_id, model_uri=info.model_uri, fingerprint="abc",
        snapshot_key="panels/p.parquet", freq="MS", season_length=12, horizon=6,
    )  # fmt: skip


def _register(tracking, challenger: float, champion: float | None, champion_version=None):
    results = {"challenger": {"mase": challenger}, "seasonal_naive": {"mase": 1.6}}
    if champion is not None:
        results["champion"] = {"mase": champion}
    output = registered_model(
        context=dg.build_asset_context(partition_key="default"),
        trained_model=_trained(tracking),
        backtest_report=BacktestReport(
            run_id="r", results=results, champion_version=champion_version, n_windows=2, series=3
        ),
        mlflow_tracking=tracking,
        policy=PipelinePolicy(promotion_margin=0.0, train_device="cpu"),
        scratch=StepScratch(root="unused"),
    )
    return output.value, output.metadata


def test_only_better_challengers_are_promoted_and_rollback_restores(tracking):
    registry = ModelRegistry(tracking.tracking_uri, tracking.model_name)

    first, _ = _register(tracking, challenger=1.30, champion=None)
    assert (first.version, first.promoted, first.champion_version) == ("1", True, "1")

    worse, metadata = _register(tracking, challenger=1.40, champion=1.30, champion_version="1")
    assert worse.promoted is False and registry.champion().version == "1"
    assert registry.by_alias("challenger").version == "2"
    assert "does not beat champion" in metadata["decision"].value
    assert registry.version("2").decision["champion_mase"] == 1.30

    better, _ = _register(tracking, challenger=1.10, champion=1.30, champion_version="1")
    assert better.promoted is True and registry.champion().version == "3"

    restored = registry.rollback()
    assert restored.version == "1" and registry.champion().version == "1"
    aliases = {v.version: v.aliases for v in registry.versions()}
    assert aliases == {"3": ("challenger",), "2": (), "1": ("champion",)}


def test_a_model_worse_than_seasonal_naive_never_becomes_champion(tracking):
    result, _ = _register(tracking, challenger=1.70, champion=None)
    assert result.promoted is False and result.champion_version is None


def test_registration_uses_our_tracking_store_not_the_process_default(tracking, tmp_path):
    """A step in its own process starts with MLflow's default tracking URI (a `mlflow.db` in
    the working folder); the asset registers in the store its resource names regardless."""
    trained = _trained(tracking)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'elsewhere.db'}")
    output = registered_model(
        context=dg.build_asset_context(partition_key="default"),
        trained_model=trained,
        backtest_report=BacktestReport(
            run_id="r",
            results={"challenger": {"mase": 1.0}, "seasonal_naive": {"mase": 1.6}},
            champion_version=None,
            n_windows=2,
            series=3,
        ),
        mlflow_tracking=tracking,
        policy=PipelinePolicy(promotion_margin=0.0, train_device="cpu"),
        scratch=StepScratch(root="unused"),
    )
    assert output.value.version == "1" and output.value.promoted
    assert ModelRegistry(tracking.tracking_uri, tracking.model_name).champion().version == "1"
