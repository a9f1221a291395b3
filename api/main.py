"""The Quantis REST API: `create_app(settings)` builds the FastAPI application.

Run it with `quantis serve api` or `uvicorn --factory api.main:create_app`. Everything except
`/health`, `/ready`, `/metrics`, `/docs` and the OpenAPI document needs an API key; the
resources live under `/api/v1`; the web page (when `frontend/dist` is built) is served at `/`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.body_limit import BodyLimitMiddleware
from api.config import ApiOptions
from api.errors import install_error_handlers
from api.logging import configure_logging
from api.metrics import ApiMetrics
from api.middleware import RequestContextMiddleware
from api.model_server import ModelServerClient
from api.openapi import install_openapi
from api.operational_metrics import OperationalCollector
from api.page import PageFallback
from api.pipeline import DagsterClient
from api.rate_limit import RateLimiter
from api.routes import (
    API_PREFIX,
    accuracy,
    covariates,
    datasets,
    forecasts,
    health,
    keys,
    models,
    observations,
    pipeline,
    scenarios,
    series,
)
from api.state import ApiState
from core.db.engine import make_engine, make_session_factory
from core.runtime import apply_offline_defaults
from core.settings import Settings, get_settings

__all__ = ["API_PREFIX", "build_state", "create_app", "operation_id"]


def operation_id(route: APIRoute) -> str:
    """`<tag>-<handler>` (e.g. `series-list_all`): stable, readable names for generated clients
    (FastAPI's default spells out the path and method)."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def build_state(settings: Settings, options: ApiOptions) -> ApiState:
    engine = make_engine(settings.database_url)
    return ApiState(
        settings=settings,
        options=options,
        engine=engine,
        sessions=make_session_factory(engine),
        model_server=ModelServerClient(settings, engine, cache_s=options.endpoint_cache_s),
        pipeline=DagsterClient(options.dagster_url, timeout_s=options.dagster_timeout_s),
        rate_limiter=RateLimiter(
            options.rate_limit_per_minute,
            options.rate_limit_burst,
            storage_url=options.rate_limit_storage_url,
            namespace=options.rate_limit_namespace,
        ),
        metrics=ApiMetrics(),
    )


def create_app(
    settings: Settings | None = None,
    options: ApiOptions | None = None,
    *,
    state: ApiState | None = None,
) -> FastAPI:
    """The API app; `state` lets tests inject clients (e.g. a recorded Dagster transport)."""
    apply_offline_defaults()
    settings = settings or get_settings()
    options = options or ApiOptions.from_settings(settings)
    configure_logging(settings.log_level)
    state = state or build_state(settings, options)

    operational = OperationalCollector(state)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        operational.warm_up()  # MLflow's import starts now, off the first scrape's path
        yield
        # A registry read still in flight uses the state closed below, and MLflow's table
        # creation on it runs Alembic, whose context is one per process: let it end first.
        operational.settle(timeout_s=30.0)
        state.close()

    app = FastAPI(
        title="Quantis API",
        version="1.0.0",
        description="Time series, observations, forecasts, model registry and pipeline health. "
        "Send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.state.quantis = state
    state.metrics.watch(operational)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=options.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=state.metrics)  # outermost
    for module in (
        health,
        keys,
        datasets,
        series,
        observations,
        covariates,
        forecasts,
        models,
        accuracy,
        pipeline,
        scenarios,
    ):
        app.include_router(module.router)
    if options.frontend_dir.is_dir():  # built by the frontend's `npm run build`
        app.router.routes.append(PageFallback(options.frontend_dir, list(app.router.routes)))
    install_openapi(app)
    return app
