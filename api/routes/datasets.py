"""`/api/v1/datasets`: list and show (read), create, update and delete (admin).

A key limited to datasets lists and shows only those; the others answer 404."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import Admin, Reader, SessionDep, StateDep
from api.errors import ApiError
from api.routes import API_PREFIX
from api.schemas.common import errors
from api.schemas.datasets import DatasetCreate, DatasetName, DatasetPublic, DatasetUpdate
from api.visibility import visible_dataset, visible_datasets
from core.datasets import DatasetChangeRefused, DatasetConfig
from core.datasets.removal import outside_database, remove_outside_database
from core.db.repositories.datasets import (
    create_dataset,
    dataset_config,
    dataset_contents,
    delete_dataset,
    find_dataset,
    update_dataset,
)
from core.db.tables import Dataset

__all__ = ["router"]

_log = logging.getLogger(__name__)

router = APIRouter(prefix=f"{API_PREFIX}/datasets", tags=["datasets"])
NameInPath = Annotated[DatasetName, Path(description="The dataset's name.")]


def _public(session: Session, dataset: Dataset) -> DatasetPublic:
    config = dataset_config(dataset)
    return DatasetPublic(
        **config.model_dump(exclude={"levels"}),
        levels=list(config.levels),
        effective_season_length=config.effective_season_length,
        effective_horizon=config.effective_horizon,
        series=dataset_contents(session, dataset.id).series,
        created_at=dataset.created_at,
        updated_at=dataset.updated_at,
    )


def _invalid(error: ValidationError) -> ApiError:
    details = [
        {"loc": ["body", *problem["loc"]], "message": problem["msg"], "type": problem["type"]}
        for problem in error.errors(include_url=False)
    ]
    shown = "; ".join(
        f"{'.'.join(map(str, d['loc'][1:])) or 'body'}: {d['message']}" for d in details
    )
    return ApiError(422, "invalid_input", f"the dataset is invalid: {shown}", details)


@router.get("", response_model=list[DatasetPublic], responses=errors())
def list_all(session: SessionDep, caller: Reader) -> list[DatasetPublic]:
    """Every dataset the key may see, by name."""
    return [_public(session, dataset) for dataset in visible_datasets(session, caller)]


@router.get("/{name}", response_model=DatasetPublic, responses=errors(404))
def get_one(name: NameInPath, session: SessionDep, caller: Reader) -> DatasetPublic:
    return _public(session, visible_dataset(session, caller, name))


@router.post(
    "",
    response_model=DatasetPublic,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 409),
)
def create(body: DatasetCreate, session: SessionDep, caller: Admin) -> DatasetPublic:
    """Create a dataset (admin scope); a name already taken answers 409. A frequency that is
    not a pandas offset alias, value_min above value_max, a level given twice or a model
    override that names freq, season_length or horizon answer 422 saying which."""
    try:
        config = DatasetConfig(**body.model_dump())
    except ValidationError as error:
        raise _invalid(error) from error
    dataset = create_dataset(session, config)
    caller.audit(session, "dataset.create", f"dataset:{config.name}", {"name": config.name})
    session.commit()
    return _public(session, dataset)


@router.patch("/{name}", response_model=DatasetPublic, responses=errors(400, 404, 409))
def update(
    name: NameInPath, body: DatasetUpdate, session: SessionDep, caller: Admin
) -> DatasetPublic:
    """Change what is safe on a live dataset (admin scope): horizon, levels, thresholds,
    retrain rule, model overrides, batch forecasts, or a frequency not fixed yet. A fixed
    frequency answers 409 with the reason; values the dataset refuses (as on create) 422."""
    changes = body.model_dump(exclude_unset=True)
    find_dataset(session, name)
    try:
        dataset = update_dataset(session, name, changes)
    except ValidationError as error:
        raise _invalid(error) from error
    except DatasetChangeRefused as error:
        raise ApiError(409, "change_refused", str(error), {"refused": error.refused}) from error
    caller.audit(session, "dataset.update", f"dataset:{name}", {"changed": sorted(changes)})
    session.commit()
    return _public(session, dataset)


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404, 409))
def delete(name: NameInPath, session: SessionDep, state: StateDep, caller: Admin) -> None:
    """Delete a dataset with its series, observations, forecasts and quarantined rows, its
    landing files and its MLflow registered model (admin scope); nothing of another dataset is
    touched. `default` cannot be deleted (409). What could not be removed outside the database
    (a store or MLflow that failed) is named in the audit log's entry and the API's log."""
    contents = delete_dataset(session, name)
    details = {"series": contents.series, "observations": contents.observations}
    caller.audit(session, "dataset.delete", f"dataset:{name}", details)
    session.commit()
    landing, registry = outside_database(state.settings, name)
    removed = remove_outside_database(name, landing=landing, registry=registry)
    outside = {"removed": removed.summary(), "problems": removed.problems}
    caller.audit(session, "dataset.delete.outside", f"dataset:{name}", outside)
    session.commit()
    for problem in removed.problems:
        _log.warning("dataset %s deleted, but: %s", name, problem)
