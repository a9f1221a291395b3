"""Model deployment records: starting -> active -> retired, or failed.

Activating a deployment retires the target's previous active one in the same
transaction; a partial unique index keeps two from ever being active at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.db.errors import InvalidStateError, RecordNotFoundError
from core.db.repositories.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from core.db.tables import ModelDeployment
from core.db.types import utc_now

__all__ = [
    "activate_deployment",
    "fail_deployment",
    "get_active_deployment",
    "get_deployment",
    "list_deployments",
    "retire_deployment",
    "start_deployment",
]


def start_deployment(
    session: Session,
    *,
    model_name: str,
    model_version: str,
    target: str,
    endpoint_url: str | None = None,
    bento_tag: str | None = None,
    details: dict[str, Any] | None = None,
) -> ModelDeployment:
    """Record a rollout that has begun (status `starting`)."""
    deployment = ModelDeployment(
        model_name=model_name,
        model_version=str(model_version),
        target=target,
        endpoint_url=endpoint_url,
        bento_tag=bento_tag,
        status="starting",
        details=dict(details or {}),
    )
    session.add(deployment)
    session.flush()
    return deployment


def get_deployment(session: Session, deployment_id: int) -> ModelDeployment | None:
    return session.get(ModelDeployment, deployment_id)


def _existing(session: Session, deployment_id: int, allowed: tuple[str, ...]) -> ModelDeployment:
    deployment = session.get(ModelDeployment, deployment_id, with_for_update=True)
    if deployment is None:
        raise RecordNotFoundError(f"deployment id {deployment_id} does not exist")
    if deployment.status not in allowed:
        raise InvalidStateError(
            f"deployment id {deployment_id} is {deployment.status}; expected one of {allowed}"
        )
    return deployment


def _serialize_activations(session: Session, target: str) -> None:
    """On PostgreSQL, one activation per target at a time (released at commit).

    Row locks alone would let a concurrent activation miss the row that just became
    active; SQLite already serialises writers.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:scope))"),
            {"scope": f"quantis.deployments.{target}"},
        )


def activate_deployment(session: Session, deployment_id: int) -> ModelDeployment:
    """Make a starting deployment active, retiring the target's current active one."""
    deployment = _existing(session, deployment_id, ("starting",))
    _serialize_activations(session, deployment.target)
    now = utc_now()
    previous = session.scalars(
        select(ModelDeployment)
        .where(ModelDeployment.target == deployment.target, ModelDeployment.status == "active")
        .with_for_update()
    ).all()
    for old in previous:
        old.status, old.until = "retired", now
    # The retirements must reach the database before the unique active index sees the new one.
    session.flush()
    deployment.status, deployment.activated_at = "active", now
    session.flush()
    return deployment


def fail_deployment(session: Session, deployment_id: int, error: str) -> ModelDeployment:
    """Mark a starting or active deployment failed, with the reason."""
    deployment = _existing(session, deployment_id, ("starting", "active"))
    deployment.status, deployment.until, deployment.error = "failed", utc_now(), error
    session.flush()
    return deployment


def retire_deployment(session: Session, deployment_id: int) -> ModelDeployment:
    """Retire an active deployment without a successor (e.g. the target is shut down)."""
    deployment = _existing(session, deployment_id, ("active",))
    deployment.status, deployment.until = "retired", utc_now()
    session.flush()
    return deployment


def get_active_deployment(session: Session, target: str) -> ModelDeployment | None:
    return session.scalar(
        select(ModelDeployment).where(
            ModelDeployment.target == target, ModelDeployment.status == "active"
        )
    )


def list_deployments(
    session: Session,
    target: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    offset: int = 0,
) -> Page[ModelDeployment]:
    """Deployments, newest first, optionally of one target."""
    query = select(ModelDeployment).order_by(ModelDeployment.id.desc())
    if target is not None:
        query = query.where(ModelDeployment.target == target)
    return paginate(session, query, limit, offset)
