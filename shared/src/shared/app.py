"""The FastAPI application every service builds the same way."""

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy import Table, text

from shared.bus import bus_reachable
from shared.db import make_engine, make_sessionmaker
from shared.idempotency import IdempotencyMiddleware
from shared.limits import BodyLimitMiddleware
from shared.observability import configure_logging, install_observability
from shared.problems import install_problem_handlers
from shared.settings import ServiceSettings

log = logging.getLogger("ssj.app")
LifespanExtra = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    lifespan_extra: LifespanExtra | None = None,
    openapi_tags: list[dict[str, str]] | None = None,
    idempotency: Table | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level, settings.log_json)
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        try:
            async with AsyncExitStack() as stack:
                if lifespan_extra:
                    await stack.enter_async_context(lifespan_extra(app))
                yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_tags=openapi_tags,
        swagger_ui_parameters={"persistAuthorization": True},
    )
    app.state.settings = settings

    async def readiness() -> dict[str, str]:
        checks = {"database": "ok", "bus": "ok"}
        try:
            async with app.state.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        if not await bus_reachable(settings):
            checks["bus"] = "unreachable"
        return checks

    app.state.rate_limiters = {}
    if idempotency is not None:
        app.add_middleware(IdempotencyMiddleware, table=idempotency)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_problem_handlers(app)
    install_observability(app, readiness)
    for router in routers:
        app.include_router(router)
    return app
