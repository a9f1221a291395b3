"""Every MLflow alias and tag name Quantis writes or reads, in one place.

The registry (aliases), the pipeline (run and version tags), the `quantis` command and the
API all read these names; a name written under one spelling and read under another would
fail silently, so nobody spells them out elsewhere.
"""

from core.datasets.config import DEFAULT_DATASET

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "METRIC_BACKTEST_MASE",
    "METRIC_LIVE_PREFIX",
    "TAG_CODE_VERSION",
    "TAG_DAGSTER_RUN_ID",
    "TAG_DATASET",
    "TAG_DATASET_FINGERPRINT",
    "TAG_DECISION",
    "TAG_MLFLOW_RUN_ID",
    "TAG_PREVIOUS_CHAMPION",
    "TAG_PROMOTED_AT",
    "TAG_PROMOTED_BY",
    "TAG_PROMOTION",
    "TAG_ROLLED_BACK_AT",
    "TAG_SERIES",
    "registered_model_name",
]

# Registered-model aliases: `champion` serves; `challenger` is the newest candidate.
CHAMPION = "champion"
CHALLENGER = "challenger"

# Training-run and model-version tags: what data and code a model came from.
TAG_DATASET_FINGERPRINT = "quantis.dataset_fingerprint"
TAG_CODE_VERSION = "quantis.code_version"
TAG_DAGSTER_RUN_ID = "quantis.dagster_run_id"
TAG_SERIES = "quantis.series"
TAG_MLFLOW_RUN_ID = "quantis.mlflow_run_id"
# The dataset (its name) a training run and a model version belong to.
TAG_DATASET = "quantis.dataset"

# Promotion bookkeeping on model versions (and `promoted` / `kept` on the training run).
TAG_PROMOTION = "quantis.promotion"
TAG_PREVIOUS_CHAMPION = "quantis.previous_champion"
TAG_PROMOTED_AT = "quantis.promoted_at"
TAG_PROMOTED_BY = "quantis.promoted_by"
TAG_DECISION = "quantis.promotion_decision"
TAG_ROLLED_BACK_AT = "quantis.rolled_back_at"

# Run metrics: the backtest's headline MASE (what live accuracy is compared with) and the
# live figures the monitoring asset logs on the model version's training run, one step per
# scored day (`live_mase`, `live_smape`, `live_bias`, `live_coverage_80`, ...).
METRIC_BACKTEST_MASE = "backtest_mase"
# The champion's global feature-group importance (`models...feature_importance`), logged with
# the trained model: a JSON artifact of rows {group, gain, share}, and a metric per group.
ARTIFACT_FEATURE_IMPORTANCE = "feature_importance.json"
METRIC_IMPORTANCE_PREFIX = "importance_share_"
METRIC_LIVE_PREFIX = "live_"


def registered_model_name(base: str, dataset: str) -> str:
    """The registered model of `dataset`: one per dataset, each with its own `champion` and
    `challenger`. The `default` dataset keeps the installation's name (`base`, the
    `registered_model_name` setting), so an existing installation's champion stays champion;
    another dataset's is `<base>-<dataset>` (dataset names are slugs, valid in MLflow)."""
    return base if dataset == DEFAULT_DATASET else f"{base}-{dataset}"
