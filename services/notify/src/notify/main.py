from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from notify.config import Settings
from notify.db import idempotency
from notify.router import router
from notify.secretbox import SecretBox
from shared.app import create_service_app


@asynccontextmanager
async def _secret_box(app: FastAPI) -> AsyncIterator[None]:
    """Refuses to start without NOTIFY_SECRET_KEY: webhook secrets are never stored in clear."""
    app.state.box = SecretBox(app.state.settings.secret_key)
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="ssj notify 结果通报",
        description="Routes inspection results to the departments the rules name (工商, 文化执法, 人民政府) "
        "and delivers them as signed webhooks (Standard Webhooks), with retries and a dead-letter state.",
        routers=[router],
        idempotency=idempotency,
        lifespan_extra=_secret_box,
    )
