from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from draw import audit_routes, compliance_routes, plan_routes
from draw.clients import RegistryClient
from draw.config import Settings
from draw.db import idempotency
from draw.router import router
from draw.signing import load_signer
from draw.substitutes import router as substitutes_router
from shared.app import create_service_app


def create_app(
    settings: Settings | None = None, *, registry_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """`registry_transport` lets tests (and an in-process deployment) reach the registry without a socket."""
    settings = settings or Settings()

    @asynccontextmanager
    async def registry_client(app: FastAPI) -> AsyncIterator[None]:
        app.state.rules = settings.rule_table()
        app.state.signer = load_signer(
            settings.audit_signing_key.get_secret_value() or None,
            settings.audit_signing_key_file,
            settings.audit_log_origin,
        )
        headers = {"Authorization": f"Bearer {settings.registry_token.get_secret_value()}"}
        async with httpx.AsyncClient(
            base_url=settings.registry_url,
            headers=headers,
            transport=registry_transport,
            timeout=settings.registry_timeout_seconds,
        ) as http:
            app.state.registry = RegistryClient(http, bulk_export=settings.registry_bulk_export)
            yield

    return create_service_app(
        settings,
        title="ssj draw 双随机抽取",
        description=(
            "Verifiable double-random draws: commit freezes the target and inspector pools and publishes "
            "a commitment; execution with public entropy runs ssj-draw-v1; the record lets anyone "
            "recompute the result. Plans turn the seed's frequency rules into draws; every commit, "
            "execution and void is in a signed RFC 9162 audit log; compliance reports each unit's record."
        ),
        routers=[
            router,
            plan_routes.router,
            plan_routes.public,
            compliance_routes.router,
            audit_routes.router,
            substitutes_router,
        ],
        idempotency=idempotency,
        lifespan_extra=registry_client,
    )
