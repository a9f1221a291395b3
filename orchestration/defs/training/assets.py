"""Training assets: fit the global model (logged to MLflow) and backtest it against baselines."""

import io
import time
from collections.abc import Mapping
from typing import Any

import dagster as dg
import pandas as pd

from core.mlflow_names import (
    ARTIFACT_FEATURE_IMPORTANCE,
    METRIC_BACKTEST_MASE,
    METRIC_IMPORTANCE_PREFIX,
    TAG_CODE_VERSION,
    TAG_DAGSTER_RUN_ID,
    TAG_DATASET,
    TAG_DATASET_FINGERPRINT,
    TAG_SERIES,
)
from models.artifact import ModelManifest, fresh_copy, load_model_dir, save_model_dir
from models.backtest import ForecastCache
from models.baselines import SeasonalNaiveForecaster
from models.config import default_config
from models.evaluation import default_forecaster
from orchestration.compute import TrainingCompute
from orchestration.contracts import BacktestReport, PanelSnapshot, TrainedModel
from orchestration.datasets import dataset_partitions, dataset_scope
from orchestration.defs.ingestion.panel import read_panel_snapshot
from orchestration.defs.training.comparison import (
    comparable_panel,
    compare_methods,
    markdown_table,
    required_history,
)
from orchestration.defs.training.config import BacktestConfig, TrainingConfig
from orchestration.defs.training.lineage import code_version
from orchestration.defs.training.on_cluster import compare_from_snapshot, fit_from_snapshot
from orchestration.defs.training.placement import SPOT_RETRY_POLICY
from orchestration.resources import (
    MLflowTracking,
    ObjectStorage,
    OperationalDatabase,
    PipelinePolicy,
    StepScratch,
)

__all__ = ["backtest_report", "default_horizon", "make_trained_model"]


def default_horizon(season_length: int) -> int:
    """Two seasons ahead (24 months, 8 quarters, 14 days), four steps without seasonality."""
    return 2 * season_length if season_length > 1 else 4


def _overrides(config: TrainingConfig, device: str, base_lgb_params: dict) -> dict[str, Any]:
    """The launchpad's non-empty fields as `default_forecaster` overrides; LightGBM parameters
    are merged into the defaults chosen for this data, not replacing them."""
    overrides: dict[str, Any] = {"device": device}
    if config.num_boost_round:
        overrides["num_boost_round"] = config.num_boost_round
    lgb = {}
    if config.learning_rate:
        lgb["learning_rate"] = config.learning_rate
    if config.num_leaves:
        lgb["num_leaves"] = config.num_leaves
    if lgb:
        overrides["lgb_params"] = {**base_lgb_params, **lgb}
    return overrides


def _log_feature_importance(model) -> None:
    """The model's global feature-group importance on the active MLflow run (models without
    features, the statistical baselines, have none)."""
    import mlflow

    if not hasattr(model, "feature_importance"):
        return
    importance = model.feature_importance()
    rows = [
        {"group": str(g), "gain": float(gain), "share": float(share)}
        for g, gain, share in importance[["group", "gain", "share"]].itertuples(index=False)
    ]
    mlflow.log_dict(rows, ARTIFACT_FEATURE_IMPORTANCE)
    mlflow.log_metrics({f"{METRIC_IMPORTANCE_PREFIX}{row['group']}": row["share"] for row in rows})


def _training_panel(storage: ObjectStorage, snapshot_key: str, series):
    panel = read_panel_snapshot(storage.open(), snapshot_key)
    return panel[panel["unique_id"].isin(series)]


def make_trained_model(op_tags: Mapping[str, object]) -> dg.AssetsDefinition:
    """The `trained_model` asset, its step placed by `op_tags` (`training_op_tags`: the spot
    GPU pool on Kubernetes) and retried after a spot preemption."""
    return dg.asset(
        name="trained_model",
        group_name="training",
        description="The dataset's global LightGBM model (combined with ETS/Theta when its "
        "backtest says so), fitted on every trainable series of the dataset with its horizon "
        "and model overrides, and logged to MLflow with params, metrics, dataset name and "
        "fingerprint, code version and the model artifact.",
        partitions_def=dataset_partitions,
        op_tags=dict(op_tags),
        retry_policy=SPOT_RETRY_POLICY,
    )(_fit_and_log)


def _fit_and_log(
    context: dg.AssetExecutionContext,
    config: TrainingConfig,
    observations: PanelSnapshot,
    storage: ObjectStorage,
    mlflow_tracking: MLflowTracking,
    policy: PipelinePolicy,
    scratch: StepScratch,
    compute: TrainingCompute,
    database: OperationalDatabase,
) -> dg.Output[TrainedModel]:
    import mlflow

    from models.mlflow_pyfunc import ARTIFACT_KEY, QuantisPythonModel

    if not observations.training_series or observations.freq is None:
        raise dg.Failure("no series can be trained on; see the checks on `observations`")
    dataset = dataset_scope(context, database)
    freq, season_length = observations.freq, observations.season_length
    # The launchpad's horizon, else the dataset's (declared, else its frequency's default).
    horizon = config.horizon or dataset.config.effective_horizon
    overrides = dict(dataset.config.model_overrides)
    if dataset.config.covariates:  # none: the config (and model) of a dataset without them
        overrides["covariates"] = [c.to_dict() for c in dataset.config.covariates]
    base_lgb_params = default_config(freq, season_length, horizon, **overrides).lgb_params
    device = config.device or policy.train_device
    model = default_forecaster(
        freq,
        season_length,
        horizon,
        n_jobs=policy.train_jobs,
        **(overrides | _overrides(config, device, base_lgb_params)),
    )
    started = time.perf_counter()
    member_forecasts = ForecastCache()
    with compute.client() as client:
        if client is None:
            panel = _training_panel(
                storage, observations.snapshot_key, observations.training_series
            )
            n_series, n_rows = int(panel["unique_id"].nunique()), len(panel)
            context.log.info(
                "Fitting %s on %d series of %s, %d rows (freq %s, horizon %d)",
                type(model).__name__, n_series, dataset.name, n_rows, freq, horizon,
            )  # fmt: skip
            model.fit(panel, forecast=member_forecasts)
        else:  # the panel stays on the workers (docs/compute.md)
            n_series, n_rows = fit_from_snapshot(
                model, compute, client, storage, observations, context.log
            )
    fit_seconds = time.perf_counter() - started
    member_forecasts_key = _write_member_forecasts(
        storage.open(), member_forecasts, context.run.run_id
    )

    run_dir = scratch.folder("model")
    manifest = ModelManifest(
        model_class=type(model).__name__,
        freq=freq,
        season_length=season_length,
        horizon=horizon,
        name=mlflow_tracking.dataset_model_name(dataset.name),
        extra={"fingerprint": observations.fingerprint, "dataset": dataset.name},
    )
    save_model_dir(model, run_dir, manifest)

    experiment_id = mlflow_tracking.experiment_id()
    run_name = f"train-{dataset.name}-{context.run.run_id[:8]}"
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name):
        params = {k: str(v)[:500] for k, v in model.config.to_dict().items()}
        mlflow.log_params(params | {"model_class": type(model).__name__})
        mlflow.set_tags(
            {
                TAG_DATASET: dataset.name,
                TAG_DATASET_FINGERPRINT: observations.fingerprint,
                TAG_CODE_VERSION: code_version(),
                TAG_DAGSTER_RUN_ID: context.run.run_id,
                TAG_SERIES: str(n_series),
            }
        )
        mlflow.log_metrics({"fit_seconds": fit_seconds, "training_rows": float(n_rows)})
        _log_feature_importance(model)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=QuantisPythonModel(),
            artifacts={ARTIFACT_KEY: str(run_dir)},
            pip_requirements=[],
        )
        run_id = mlflow.active_run().info.run_id
    trained = TrainedModel(
        run_id=run_id,
        model_uri=info.model_uri,
        fingerprint=observations.fingerprint,
        snapshot_key=observations.snapshot_key,
        freq=freq,
        season_length=season_length,
        horizon=horizon,
        member_forecasts_key=member_forecasts_key,
    )
    return dg.Output(
        trained,
        metadata=trained.metadata()
        | {
            "model_class": type(model).__name__,
            "series": n_series,
            "rows": n_rows,
            "compute": compute.mode,
            "fit_seconds": round(fit_seconds, 2),
            "members": ", ".join(getattr(model, "members_", ()) or ["lightgbm"]),
            "member_jobs": model.n_jobs,
        },
    )


def _write_member_forecasts(store, cache: ForecastCache, run_id: str) -> str:
    """The selection backtest's per-series member forecasts, as Parquet in the object store."""
    key = f"member-forecasts/{run_id}.parquet"
    buffer = io.BytesIO()
    cache.local_frame().to_parquet(buffer, index=False)
    store.put_bytes(key, buffer.getvalue())
    return key


def _read_member_forecasts(store, key: str | None, cache: ForecastCache) -> None:
    if key is not None and store.exists(key):
        cache.add_local(pd.read_parquet(io.BytesIO(store.get_bytes(key))))


def _champion_maker(
    mlflow_tracking: MLflowTracking, scratch: StepScratch, n_jobs: int, dataset: str
):
    """A fresh copy of the dataset's current champion's configuration, or None without one."""
    champion = mlflow_tracking.registry(dataset).champion()
    if champion is None:
        return None, None
    model, _ = load_model_dir(
        mlflow_tracking.model_version_dir(champion.version, scratch.path, dataset)
    )
    return (lambda: fresh_copy(model, n_jobs=n_jobs)), champion.version


@dg.asset(
    group_name="training",
    description="Rolling-origin backtest of the new model, the dataset's current champion and "
    "seasonal naive on the same windows: MASE, sMAPE, RMSSE and coverage of the dataset's "
    "interval levels, logged to the training's MLflow run.",
    partitions_def=dataset_partitions,
)
def backtest_report(
    context: dg.AssetExecutionContext,
    config: BacktestConfig,
    trained_model: TrainedModel,
    observations: PanelSnapshot,
    storage: ObjectStorage,
    mlflow_tracking: MLflowTracking,
    policy: PipelinePolicy,
    scratch: StepScratch,
    compute: TrainingCompute,
    database: OperationalDatabase,
) -> dg.Output[BacktestReport]:
    import mlflow

    dataset = dataset_scope(context, database)
    levels = dataset.config.levels

    challenger, manifest = load_model_dir(
        mlflow_tracking.download_model(trained_model.model_uri, scratch.path / "challenger")
    )
    h, season_length = manifest.horizon, manifest.season_length
    step = config.step or h
    makers = {
        "challenger": lambda: fresh_copy(challenger, n_jobs=policy.train_jobs),
        "seasonal_naive": lambda: SeasonalNaiveForecaster(manifest.freq, season_length),
    }
    champion_make, champion_version = _champion_maker(
        mlflow_tracking, scratch, policy.train_jobs, dataset.name
    )
    if champion_make is not None:
        makers["champion"] = champion_make
    min_train = required_history(make() for make in makers.values())
    windows = {"h": h, "n_windows": config.n_windows, "step": step}
    started = time.perf_counter()
    cache = None
    with compute.client() as client:
        if client is None:
            panel = comparable_panel(
                _training_panel(storage, trained_model.snapshot_key, observations.training_series),
                **windows,
                min_train=min_train,
            )
            if panel.empty:
                raise dg.Failure(
                    f"no series is long enough for {config.n_windows} backtest window(s) of "
                    f"{h} steps"
                )
            cache = ForecastCache() if policy.backtest_reuse_fits else None
            if cache is not None:
                _read_member_forecasts(storage.open(), trained_model.member_forecasts_key, cache)
            results = compare_methods(
                makers,
                panel,
                **windows,
                season_length=season_length,
                levels=levels,
                cache=cache,
                progress=context.log.info,
            )
            n_series = int(panel["unique_id"].nunique())
        else:  # the panel stays on the workers (docs/compute.md)
            results, n_series = compare_from_snapshot(
                makers, compute, client, storage, trained_model.snapshot_key,
                observations.training_series, **windows, min_train=min_train,
                season_length=season_length, levels=levels, progress=context.log.info,
            )  # fmt: skip
    backtest_seconds = time.perf_counter() - started
    if cache is not None:
        context.log.info(f"member fits: {cache.fits}, reused: {cache.reused}")
    mlflow_tracking.activate()
    with mlflow.start_run(run_id=trained_model.run_id):
        for method, metrics in results.items():
            mlflow.log_metrics({f"backtest_{method}_{k}": v for k, v in metrics.items()})
        mlflow.log_metric(METRIC_BACKTEST_MASE, results["challenger"]["mase"])
    report = BacktestReport(
        run_id=trained_model.run_id,
        results=results,
        champion_version=champion_version,
        n_windows=config.n_windows,
        series=n_series,
    )
    return dg.Output(
        report,
        metadata=report.metadata()
        | {
            "comparison": dg.MetadataValue.md(markdown_table(results, levels)),
            "challenger_mase": results["challenger"]["mase"],
            "seasonal_naive_mase": results["seasonal_naive"]["mase"],
            "champion_mase": results["champion"]["mase"] if "champion" in results else None,
            "backtest_seconds": round(backtest_seconds, 2),
            "reuse_fits": policy.backtest_reuse_fits,
            "member_fits": cache.fits if cache is not None else None,
            "member_fits_reused": cache.reused if cache is not None else None,
        },
    )
