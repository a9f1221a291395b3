"""What-if scenarios of a dataset: create one (and run it), list them, read one with its last
run, re-run it against the current champion, delete it. A key limited to datasets reaches
only theirs (others answer 404)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from api.auth import Caller
from api.deps import Reader, SessionDep, StateDep, Writer
from api.errors import ApiError
from api.routes import API_PREFIX
from api.routes.datasets import NameInPath
from api.scenarios import parsed_scenario, run_scenario
from api.schemas.common import RecordId, errors
from api.schemas.scenarios import ScenarioCreate, ScenarioListed, ScenarioPublic
from api.visibility import visible_dataset
from core.db.errors import DuplicateRecordError
from core.db.repositories.datasets import dataset_config
from core.db.repositories.scenarios import (
    create_scenario,
    delete_scenario,
    get_scenario,
    list_scenarios,
    record_scenario_run,
)
from core.db.tables import Dataset, Scenario

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/datasets", tags=["scenarios"])


def _listed(dataset: Dataset, scenario: Scenario) -> dict[str, Any]:
    run = scenario.last_run or {}
    return {
        "id": scenario.id,
        "dataset": dataset.name,
        "name": scenario.name,
        "spec": scenario.spec,
        "created_at": scenario.created_at,
        "last_run_at": scenario.last_run_at,
        "last_model_version": run.get("model_version"),
        "last_total_difference": run.get("total_difference"),
    }


def _public(dataset: Dataset, scenario: Scenario) -> ScenarioPublic:
    return ScenarioPublic(**_listed(dataset, scenario), last_run=scenario.last_run)


def _found(session: Session, dataset: Dataset, scenario_id: int) -> Scenario:
    scenario = get_scenario(session, dataset.id, scenario_id)
    if scenario is None:
        raise ApiError(
            404, "not_found", f"scenario id {scenario_id} does not exist in {dataset.name!r}"
        )
    return scenario


def _run(session, state, caller: Caller, dataset: Dataset, spec: dict[str, Any]) -> dict:
    parsed = parsed_scenario(spec, list(dataset_config(dataset).covariates))
    return run_scenario(
        session, state.model_server, state.metrics, caller, dataset, parsed,
        history_points=state.options.history_points,
    )  # fmt: skip


@router.post(
    "/{name}/scenarios",
    response_model=ScenarioPublic,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 404, 409, 422, 503),
)
def create(
    name: NameInPath, body: ScenarioCreate, session: SessionDep, state: StateDep, caller: Writer
) -> ScenarioPublic:
    """Create a scenario and run it: the baseline forecast (the stored future covariate
    values) and the scenario forecast (with the changes) of each series by the dataset's
    champion, side by side with intervals, the difference per point, per series and overall.

    The changes must name known-in-advance covariates, values of their type and dates within
    the horizon (422 `invalid_scenario`); a name the dataset has is a 409. Nothing is stored
    when the run fails: 503 when the model server is down or serves no champion of the
    dataset (`dataset_not_served`), 422 when it cannot forecast the input."""
    dataset = visible_dataset(session, caller, name)
    spec = body.model_dump(mode="json")
    if any(s.name == body.name for s in list_scenarios(session, dataset.id)):
        raise DuplicateRecordError(f"scenario {body.name!r} already exists in {dataset.name!r}")
    run = _run(session, state, caller, dataset, spec)
    scenario = create_scenario(session, dataset.id, body.name, spec, last_run=run)
    caller.audit(session, "scenario.create", f"dataset:{dataset.name}", {"name": body.name})
    session.commit()
    return _public(dataset, scenario)


@router.get("/{name}/scenarios", response_model=list[ScenarioListed], responses=errors(404))
def list_all(name: NameInPath, session: SessionDep, caller: Reader) -> list[ScenarioListed]:
    """The dataset's scenarios by name, each with its spec and a summary of its last run."""
    dataset = visible_dataset(session, caller, name)
    return [ScenarioListed(**_listed(dataset, s)) for s in list_scenarios(session, dataset.id)]


@router.get("/{name}/scenarios/{scenario_id}", response_model=ScenarioPublic, responses=errors(404))
def get_one(
    name: NameInPath, scenario_id: RecordId, session: SessionDep, caller: Reader
) -> ScenarioPublic:
    """A scenario's spec and its last run."""
    dataset = visible_dataset(session, caller, name)
    return _public(dataset, _found(session, dataset, scenario_id))


@router.post(
    "/{name}/scenarios/{scenario_id}/run",
    response_model=ScenarioPublic,
    responses=errors(400, 404, 409, 422, 503),
)
def rerun(
    name: NameInPath,
    scenario_id: RecordId,
    session: SessionDep,
    state: StateDep,
    caller: Writer,
) -> ScenarioPublic:
    """Run the scenario again against the current champion and the stored values of today
    (the spec is checked again: a covariate since changed may make it a 422); the new run
    replaces the last one. A failed run leaves the last one as it was."""
    dataset = visible_dataset(session, caller, name)
    spec = dict(_found(session, dataset, scenario_id).spec)
    run = _run(session, state, caller, dataset, spec)
    scenario = _found(session, dataset, scenario_id)  # the model call ended the transaction
    record_scenario_run(session, scenario, run)
    caller.audit(session, "scenario.run", f"scenario:{scenario.id}", {"name": scenario.name})
    session.commit()
    return _public(dataset, scenario)


@router.delete(
    "/{name}/scenarios/{scenario_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(404),
)
def delete(name: NameInPath, scenario_id: RecordId, session: SessionDep, caller: Writer) -> None:
    dataset = visible_dataset(session, caller, name)
    if not delete_scenario(session, dataset.id, scenario_id):
        raise ApiError(
            404, "not_found", f"scenario id {scenario_id} does not exist in {dataset.name!r}"
        )
    caller.audit(session, "scenario.delete", f"scenario:{scenario_id}", {"dataset": dataset.name})
    session.commit()
