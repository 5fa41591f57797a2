"""python -m inspection.worker: turns executed draws into tasks, finds overdue rectifications,
and relays the outbox to the bus."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from inspection.config import Settings
from inspection.consumers import HANDLERS, Deps
from inspection.db import messaging
from inspection.events import PRODUCES
from inspection.rectifications import overdue_job
from shared.worker import WorkerSpec, main


@asynccontextmanager
async def worker_deps(settings: Settings) -> AsyncIterator[Deps]:
    """One registry client for the worker's lifetime (connection pooling across events)."""
    async with httpx.AsyncClient(base_url=settings.registry_url, timeout=settings.registry_timeout_seconds) as client:
        yield Deps(registry=client)


SPEC = WorkerSpec(
    service="inspection",
    messaging=messaging,
    produces=PRODUCES,
    handlers=HANDLERS,
    deps=worker_deps,
    jobs=[overdue_job],
)

if __name__ == "__main__":
    main(Settings(), SPEC)
