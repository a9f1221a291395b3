"""`/health` (process up), `/ready` (database, model server and the model it serves),
`/metrics` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from api.deps import StateDep
from api.schemas.health import Check, Liveness, Readiness, ServedModel

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Liveness)
def health() -> Liveness:
    """Liveness: the process answers."""
    return Liveness(status="ok")


def _database_check(state) -> Check:
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure means not ready; the reason is reported
        return Check(ok=False, detail=f"database unreachable ({type(error).__name__})")
    return Check(ok=True, detail="database reachable")


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is not ready."}},
)
def ready(state: StateDep) -> JSONResponse:
    """Readiness: the database answers and the model server is ready (503 otherwise), and
    which model it serves."""
    database = _database_check(state)
    ok, detail = state.model_server.check_ready()
    model_server = Check(ok=ok, detail=detail)
    served = state.model_server.served_model() if ok else None
    answer = Readiness(
        status="ready" if database.ok and model_server.ok else "not ready",
        database=database,
        model_server=model_server,
        model=ServedModel(**served) if served else None,
    )
    return JSONResponse(answer.model_dump(), status_code=200 if answer.status == "ready" else 503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(state: StateDep) -> Response:
    """Prometheus metrics of this API process."""
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
