from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
from fastapi import FastAPI

from inspection.clients import DrawClient
from inspection.config import Settings
from inspection.db import idempotency
from inspection.evidence import EvidenceStore
from inspection.periods import utc_now
from inspection.router import router
from shared.app import create_service_app


def create_app(
    settings: Settings | None = None,
    *,
    draw_transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """`draw_transport` reaches the draw service without a socket (tests, in-process deployments);
    `clock` replaces the wall clock, so deadlines can be tested without waiting for them."""
    settings = settings or Settings()

    @asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[None]:
        headers = {"Authorization": f"Bearer {settings.draw_token.get_secret_value()}"}
        async with httpx.AsyncClient(
            base_url=settings.draw_url, headers=headers, transport=draw_transport, timeout=settings.draw_timeout_seconds
        ) as http:
            app.state.draw = DrawClient(http)
            app.state.evidence = EvidenceStore(settings.evidence_dir)
            app.state.clock = clock or utc_now
            yield

    return create_service_app(
        settings,
        title="ssj inspection 检查任务与结果",
        description=(
            "Inspection tasks from executed draws, their checklists, findings with evidence digests, results "
            "confirmed by both officers (two-officer rule), outcomes, recusal with drawn substitutes, "
            "rectification follow-up (限期整改, 复查) and escalation, with an audit trail of every step."
        ),
        routers=[router],
        idempotency=idempotency,
        lifespan_extra=resources,
    )
