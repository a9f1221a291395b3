"""Deployment records: activation retires the previous active one per target."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from core.db.errors import InvalidStateError, RecordNotFoundError
from core.db.repositories import deployments
from core.db.tables import ModelDeployment


def _start(session, version: str, target: str = "local"):
    return deployments.start_deployment(
        session,
        model_name="quantis-forecaster",
        model_version=version,
        target=target,
        endpoint_url="http://127.0.0.1:8001",
        bento_tag=f"quantis:{version}",
    )


def test_activation_retires_the_previous_active_deployment(session):
    first = _start(session, "1")
    deployments.activate_deployment(session, first.id)
    session.commit()
    second = _start(session, "2")
    other_target = _start(session, "1", target="kubernetes")
    deployments.activate_deployment(session, other_target.id)
    deployments.activate_deployment(session, second.id)
    session.commit()
    session.expire_all()
    assert deployments.get_active_deployment(session, "local").id == second.id
    assert deployments.get_active_deployment(session, "kubernetes").id == other_target.id
    retired = deployments.get_deployment(session, first.id)
    assert retired.status == "retired" and retired.until is not None
    assert second.activated_at is not None


def test_database_refuses_two_active_deployments_per_target(session):
    session.add(ModelDeployment(model_name="m", model_version="1", target="t", status="active"))
    session.flush()
    session.add(ModelDeployment(model_name="m", model_version="2", target="t", status="active"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_failed_deployment_keeps_the_active_one(session):
    live = _start(session, "1")
    deployments.activate_deployment(session, live.id)
    broken = _start(session, "2")
    deployments.fail_deployment(session, broken.id, "health check timed out")
    assert deployments.get_active_deployment(session, "local").id == live.id
    assert broken.status == "failed" and broken.error == "health check timed out"
    with pytest.raises(InvalidStateError, match="failed"):
        deployments.activate_deployment(session, broken.id)


def test_unknown_deployment_raises(session):
    with pytest.raises(RecordNotFoundError):
        deployments.activate_deployment(session, 12345)


def test_retire_leaves_no_active_deployment(session):
    live = _start(session, "1")
    deployments.activate_deployment(session, live.id)
    deployments.retire_deployment(session, live.id)
    assert deployments.get_active_deployment(session, "local") is None
    assert deployments.list_deployments(session, target="local").total == 1
