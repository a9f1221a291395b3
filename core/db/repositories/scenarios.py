"""Stored what-if scenarios of a dataset: a spec (`core.scenarios`) under a name unique in the
dataset, and the latest run (the champion version, both forecasts and their difference)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.errors import DuplicateRecordError
from core.db.tables import Scenario
from core.db.types import utc_now

__all__ = [
    "create_scenario",
    "delete_scenario",
    "get_scenario",
    "list_scenarios",
    "record_scenario_run",
]


def create_scenario(
    session: Session,
    dataset_id: int,
    name: str,
    spec: dict[str, Any],
    last_run: dict[str, Any] | None = None,
) -> Scenario:
    """A new scenario of the dataset; a name the dataset already has raises
    `DuplicateRecordError`."""
    if session.scalar(
        select(Scenario.id).where(Scenario.dataset_id == dataset_id, Scenario.name == name)
    ):
        raise DuplicateRecordError(f"scenario {name!r} already exists in this dataset")
    now = utc_now()
    scenario = Scenario(
        dataset_id=dataset_id, name=name, spec=spec, last_run=last_run, created_at=now,
        updated_at=now, last_run_at=now if last_run is not None else None,
    )  # fmt: skip
    session.add(scenario)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:  # a concurrent create of the same name
        raise DuplicateRecordError(f"scenario {name!r} already exists in this dataset") from error
    return scenario


def list_scenarios(session: Session, dataset_id: int) -> list[Scenario]:
    """The dataset's scenarios, by name."""
    query = select(Scenario).where(Scenario.dataset_id == dataset_id).order_by(Scenario.name)
    return list(session.scalars(query))


def get_scenario(session: Session, dataset_id: int, scenario_id: int) -> Scenario | None:
    """The dataset's scenario of that id (None when it has none: another dataset's is not
    found either)."""
    scenario = session.get(Scenario, scenario_id)
    return scenario if scenario is not None and scenario.dataset_id == dataset_id else None


def record_scenario_run(session: Session, scenario: Scenario, last_run: dict[str, Any]) -> None:
    """Keep `last_run` as the scenario's latest run (the previous one is replaced)."""
    now = utc_now()
    scenario.last_run = last_run
    scenario.last_run_at = now
    scenario.updated_at = now
    session.flush()


def delete_scenario(session: Session, dataset_id: int, scenario_id: int) -> bool:
    """Delete the dataset's scenario; False when it has none of that id."""
    scenario = get_scenario(session, dataset_id, scenario_id)
    if scenario is None:
        return False
    session.delete(scenario)
    session.flush()
    return True
