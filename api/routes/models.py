"""`/api/v1/models`: the MLflow registry view of a dataset's registered model (`?dataset=`,
`default` unless named; 404 for a dataset that does not exist or that the key may not see);
promote and roll back (admin scope).

Promotion and rollback go through `core.registry.ModelRegistry`, the code the
`quantis model` command uses. Moving the `champion` alias does not redeploy by itself: the
pipeline's `deploy_champion` job rolls out whatever holds the alias.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Admin, Reader, SessionDep, StateDep
from api.errors import ApiError
from api.routes import API_PREFIX
from api.schemas.common import ModelVersionId, errors
from api.schemas.datasets import DatasetQuery
from api.schemas.models import ModelVersionPublic, RegistryView
from api.visibility import visible_dataset
from core.datasets import DEFAULT_DATASET
from core.mlflow_names import METRIC_IMPORTANCE_PREFIX
from core.registry import CHALLENGER, CHAMPION, ModelRegistry, ModelVersionView, RegistryError

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/models", tags=["models"])


def _public(view: ModelVersionView, aliases: set[str] | None = None) -> ModelVersionPublic:
    return ModelVersionPublic(
        name=view.name,
        version=view.version,
        aliases=sorted(set(view.aliases) | (aliases or set())),
        run_id=view.run_id,
        source=view.source,
        created_at=view.created_at,
        metrics=view.metrics,
        decision=view.decision,
        tags=view.tags,
        feature_importance={
            name.removeprefix(METRIC_IMPORTANCE_PREFIX): share
            for name, share in view.metrics.items()
            if name.startswith(METRIC_IMPORTANCE_PREFIX)
        },
    )


def _alias_holders(registry: ModelRegistry) -> dict[str, str]:
    """Alias -> version, asked one alias at a time: MLflow's version search leaves aliases
    out of its results, so `ModelRegistry.versions()` alone would show none."""
    holders = {}
    for alias in (CHAMPION, CHALLENGER):
        view = registry.by_alias(alias)
        if view is not None:
            holders[alias] = view.version
    return holders


@router.get("", response_model=RegistryView, responses=errors(404))
def registry_view(
    state: StateDep, session: SessionDep, caller: Reader, dataset: DatasetQuery = DEFAULT_DATASET
) -> RegistryView:
    """Every version of the dataset's registered model with aliases, metrics and promotion
    decisions."""
    visible_dataset(session, caller, dataset)
    registry = state.registry(dataset)
    versions = registry.versions()
    holders = _alias_holders(registry)
    return RegistryView(
        name=registry.model_name,
        champion=holders.get(CHAMPION),
        challenger=holders.get(CHALLENGER),
        versions=[
            _public(v, {alias for alias, held in holders.items() if held == v.version})
            for v in versions
        ],
    )


@router.get("/{version}", response_model=ModelVersionPublic, responses=errors(404))
def get_version(
    version: ModelVersionId,
    state: StateDep,
    session: SessionDep,
    caller: Reader,
    dataset: DatasetQuery = DEFAULT_DATASET,
) -> ModelVersionPublic:
    visible_dataset(session, caller, dataset)
    try:
        return _public(state.registry(dataset).version(version))
    except RegistryError as error:
        raise ApiError(404, "not_found", str(error)) from error


@router.post("/{version}/promote", response_model=ModelVersionPublic, responses=errors(404))
def promote(
    version: ModelVersionId,
    state: StateDep,
    session: SessionDep,
    caller: Admin,
    dataset: DatasetQuery = DEFAULT_DATASET,
) -> ModelVersionPublic:
    """Make `version` the dataset's champion; the replaced champion is remembered for
    rollback."""
    visible_dataset(session, caller, dataset)
    registry = state.registry(dataset)
    previous = registry.champion()
    try:
        promoted = registry.promote(version, by=caller.actor)
    except RegistryError as error:
        raise ApiError(404, "not_found", str(error)) from error
    details = {"previous_champion": previous.version if previous else None}
    caller.audit(session, "model.promote", f"model:{registry.model_name}/{version}", details)
    session.commit()
    return _public(promoted)


@router.post("/rollback", response_model=ModelVersionPublic, responses=errors(404, 409))
def rollback(
    state: StateDep, session: SessionDep, caller: Admin, dataset: DatasetQuery = DEFAULT_DATASET
) -> ModelVersionPublic:
    """Give the dataset's `champion` back to the version the current champion replaced (409
    if none)."""
    visible_dataset(session, caller, dataset)
    registry = state.registry(dataset)
    current = registry.champion()
    try:
        restored = registry.rollback(by=caller.actor)
    except RegistryError as error:
        raise ApiError(409, "conflict", str(error)) from error
    details = {"replaced": current.version if current else None}
    target = f"model:{registry.model_name}/{restored.version}"
    caller.audit(session, "model.rollback", target, details)
    session.commit()
    return _public(restored)
