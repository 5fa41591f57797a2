from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from draw.clients import RegistryClient
from draw.config import Settings
from draw.db import idempotency
from draw.router import router
from shared.app import create_service_app


def create_app(
    settings: Settings | None = None, *, registry_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """`registry_transport` lets tests (and an in-process deployment) reach the registry without a socket."""
    settings = settings or Settings()

    @asynccontextmanager
    async def registry_client(app: FastAPI) -> AsyncIterator[None]:
        headers = {"Authorization": f"Bearer {settings.registry_token.get_secret_value()}"}
        async with httpx.AsyncClient(
            base_url=settings.registry_url,
            headers=headers,
            transport=registry_transport,
            timeout=settings.registry_timeout_seconds,
        ) as http:
            app.state.registry = RegistryClient(http)
            yield

    return create_service_app(
        settings,
        title="ssj draw 双随机抽取",
        description=(
            "Verifiable double-random draws: commit freezes the target and inspector pools and publishes "
            "a commitment; execution with public entropy runs ssj-draw-v1; the record lets anyone "
            "recompute the result."
        ),
        routers=[router],
        idempotency=idempotency,
        lifespan_extra=registry_client,
    )
