"""A dataset with covariates through the pipeline, in-process: landed with its future values,
the panel snapshot carries the stored values, a series lacking some is screened out with the
reason, the model trains with the covariates (its MLflow run shows them), the backtest runs,
the MLflow model takes future values as rows without `y`, and the batch forecasts use the
stored future values (a changed promotion changes the forecast; a series without the values
it needs is skipped with the reason). A dataset without covariates ingests as before."""

from __future__ import annotations

import hashlib
import io

import dagster as dg
import pandas as pd
import pytest

from core.covariates import MissingFutureCovariatesError
from core.datasets import DatasetConfig
from core.datasets.partitions import sync_dataset_partitions
from core.db.engine import make_engine, session_scope
from core.db.repositories.covariates import upsert_covariate_values, with_stored_covariates
from core.db.repositories.datasets import create_dataset
from core.db.repositories.forecasts import latest_forecast
from core.db.repositories.observations import read_panel, upsert_panel
from core.db.repositories.series import series_ids_by_name
from core.mlflow_names import ARTIFACT_FEATURE_IMPORTANCE
from core.run_tags import DATASET_TAG
from core.settings import Settings
from models.artifact import load_model_dir
from models.datasets import retail_panel
from orchestration.definitions import build_definitions
from orchestration.defs.forecasting.assets import BatchForecastPolicy, ShardPlan, forecast_shard
from orchestration.resources import build_resources
from tests.orchestration.conftest import dataset_names_of

pytestmark = pytest.mark.slow

HORIZON = 7
HISTORY = 120  # days with observations; the next HORIZON days land as future values only
COVARIATES = (
    {"name": "promo", "type": "boolean"},
    {"name": "price"},
    {"name": "region", "type": "categorical", "kind": "static"},
    {"name": "us_holidays", "type": "boolean", "kind": "calendar", "country": "US"},
)
RETAIL = DatasetConfig(
    name="retail",
    frequency="D",
    horizon=HORIZON,
    max_bad_row_share=0.5,  # one series of five screened out goes on, with a warning
    model_overrides={"num_boost_round": 30},
    covariates=COVARIATES,
)
TRAINING_ASSETS = ("staged_observations", "observations", "trained_model", "backtest_report")
RUN_CONFIG = {"ops": {"backtest_report": {"config": {"n_windows": 1}}}}


def _run(settings: Settings, instance, dataset: str, assets=TRAINING_ASSETS, run_config=None):
    sync_dataset_partitions(instance, dataset_names_of(settings))
    job = build_definitions(settings).resolve_job_def("quantis_pipeline")
    return job.execute_in_process(
        run_config=RUN_CONFIG if run_config is None else run_config,
        instance=instance,
        partition_key=dataset,
        tags={DATASET_TAG: dataset},
        asset_selection=[dg.AssetKey(name) for name in assets],
        raise_on_error=False,
    )


def _checks(result, asset: str) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        c.check_name: c
        for c in result.get_asset_check_evaluations()
        if c.asset_key == dg.AssetKey(asset)
    }


def _landing_file(panel: pd.DataFrame) -> pd.DataFrame:
    """Observations with their covariate values, then future rows without y: every horizon
    day for p000-p002, only its first four for p003 (p003 lacks three days of promo/price)."""
    frame = panel.assign(promo=panel["promo"].map({0.0: "false", 1.0: "true"}))
    day = frame.groupby("unique_id").cumcount()
    frame = frame[
        (day < HISTORY + HORIZON) & ~((frame["unique_id"] == "p003") & (day >= HISTORY + 4))
    ]
    frame = frame.assign(y=frame["y"].where(day[frame.index] < HISTORY))
    return frame[frame["unique_id"] != "p004"]


def _batch(session, model, dataset_id_plan: ShardPlan, request: str):
    return forecast_shard(
        session, model, shard=0, shards=1, plan=dataset_id_plan,
        model_name="retail-model", model_version="1", request_id=request,
    )  # fmt: skip


def _yhat(session, dataset_id: int, name: str) -> list[float]:
    [series_id] = series_ids_by_name(session, [name], dataset_id=dataset_id).values()
    return [point["yhat"] for point in latest_forecast(session, series_id, kind="batch").payload]


def test_a_dataset_with_covariates_trains_backtests_and_forecasts_with_them(
    pipeline_settings, landing, tmp_path
):
    retail = retail_panel(n_series=5, length=HISTORY + HORIZON, seed=7)
    engine = make_engine(pipeline_settings.database_url)
    with session_scope(engine) as session:
        dataset_id = create_dataset(session, RETAIL).id
        # p004's observations were stored before its covariates came (none are stored).
        p004 = retail.panel[retail.panel["unique_id"] == "p004"].head(HISTORY)
        upsert_panel(session, p004[["unique_id", "ds", "y"]], frequency="D", dataset_id=dataset_id)
    (landing / "retail").mkdir()
    _landing_file(retail.panel).to_csv(landing / "retail" / "retail.csv", index=False)

    instance = dg.DagsterInstance.ephemeral()
    result = _run(pipeline_settings, instance, "retail")
    assert result.success

    # The snapshot carries the stored values; p004 is screened out with the reason.
    snapshot = result.output_for_node("observations")
    resources = build_resources(pipeline_settings)
    stored = pd.read_parquet(
        io.BytesIO(resources["storage"].open().get_bytes(snapshot.snapshot_key))
    )
    assert {"promo", "price", "region"} <= set(stored.columns)
    landed = stored[stored["unique_id"] == "p000"].reset_index(drop=True)
    expected = retail.panel[retail.panel["unique_id"] == "p000"].head(HISTORY)
    assert landed["price"].tolist() == pytest.approx(expected["price"].tolist())
    assert landed["region"].unique().tolist() == ["north"]
    assert sorted(snapshot.training_series) == ["p000", "p001", "p002", "p003"]
    check = _checks(result, "observations")["covariates_complete"]
    assert not check.passed
    assert check.metadata["examples"].value == "p004"
    assert "series 'p004': covariate 'promo' has no value on" in check.metadata["detail"].value

    # The model trained with the covariates: its MLflow run says so.
    import mlflow

    trained = result.output_for_node("trained_model")
    resources["mlflow_tracking"].activate()
    run = mlflow.get_run(trained.run_id)
    assert "promo" in run.data.params["covariates"]
    importance = mlflow.artifacts.load_dict(f"runs:/{trained.run_id}/{ARTIFACT_FEATURE_IMPORTANCE}")
    assert {"promo", "price", "region", "us_holidays"} <= {row["group"] for row in importance}
    report = result.output_for_node("backtest_report")
    assert {"challenger", "seasonal_naive"} <= set(report.results)

    # The MLflow model: the future values as rows without y.
    model_dir = resources["mlflow_tracking"].download_model(trained.model_uri, tmp_path / "m")
    model, _ = load_model_dir(model_dir)
    assert [c["name"] for c in model.config.covariates] == [c["name"] for c in COVARIATES]
    pyfunc = mlflow.pyfunc.load_model(trained.model_uri)
    with session_scope(engine) as session:
        history = read_panel(session, dataset_id=dataset_id)
        history = with_stored_covariates(
            session, history[history["unique_id"] == "p000"], RETAIL.covariates,
            dataset_id=dataset_id,
        )  # fmt: skip
    future_days = retail.panel[retail.panel["unique_id"] == "p000"].iloc[HISTORY:]
    future = future_days[["unique_id", "ds", "promo", "price"]]
    served = pyfunc.predict(pd.concat([history, future], ignore_index=True))
    assert len(served) == HORIZON
    with pytest.raises(MissingFutureCovariatesError, match="'p000'"):
        pyfunc.predict(pd.concat([history, future.iloc[:-1]], ignore_index=True))

    # Batch forecasts from the stored values: p003 lacks future values, p004 history ones.
    with session_scope(engine) as session:
        plan = ShardPlan.for_dataset(session, "retail", BatchForecastPolicy())
        outcome = _batch(session, model, plan, "batch:first")
    assert outcome.written == 3
    assert set(outcome.skipped) == {"p003", "p004"}
    assert outcome.skipped["p003"].startswith("forecast dates: covariate 'promo' has no value")
    dates = pd.date_range(future_days["ds"].iloc[4], periods=3, freq="D")
    assert all(str(d.date()) in outcome.skipped["p003"] for d in dates)
    assert "covariate 'price'" in outcome.skipped["p003"]
    assert outcome.skipped["p004"].startswith("history: covariate 'promo' has no value")
    with session_scope(engine) as session:
        before = {name: _yhat(session, dataset_id, name) for name in ("p000", "p001")}
    assert before["p000"] == pytest.approx(served["yhat"].tolist())

    # A promotion switched on for p000's horizon (stored) changes p000's batch forecast only.
    switched = future.assign(promo=1.0)[["unique_id", "ds", "promo"]]
    assert future["promo"].min() == 0.0  # some day was off
    with session_scope(engine) as session:
        upsert_covariate_values(session, switched, RETAIL.covariates, dataset_id=dataset_id)
        _batch(session, model, plan, "batch:second")
        after = {name: _yhat(session, dataset_id, name) for name in ("p000", "p001")}
    assert after["p001"] == pytest.approx(before["p001"])
    assert after["p000"] != pytest.approx(before["p000"])


def test_a_dataset_without_covariates_snapshots_and_fingerprints_as_before(
    pipeline_settings, landing
):
    with session_scope(make_engine(pipeline_settings.database_url)) as session:
        create_dataset(session, DatasetConfig(name="plain", frequency="D"))
    (landing / "plain").mkdir()
    panel = retail_panel(n_series=2, length=40, seed=3).panel[["unique_id", "ds", "y"]]
    panel.to_csv(landing / "plain" / "plain.csv", index=False)

    result = _run(pipeline_settings, dg.DagsterInstance.ephemeral(), "plain",
                  assets=TRAINING_ASSETS[:2], run_config={})  # fmt: skip
    assert result.success
    snapshot = result.output_for_node("observations")
    store = build_resources(pipeline_settings)["storage"].open()
    stored = pd.read_parquet(io.BytesIO(store.get_bytes(snapshot.snapshot_key)))
    assert stored.columns.tolist() == ["unique_id", "ds", "y"]
    hashed = pd.util.hash_pandas_object(stored[["unique_id", "ds", "y"]], index=False)
    assert snapshot.fingerprint == hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()
    assert _checks(result, "observations")["covariates_complete"].passed
    [event] = result.asset_materializations_for_node("observations")
    assert "covariates" not in event.metadata
