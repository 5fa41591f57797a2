"""python -m disclosure.worker: consumes completed, sanctioned and blacklisted inspections,
numbers the public feed, writes the daily export, lifts expired blacklistings, and relays the
outbox to the bus."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from disclosure import workdays
from disclosure.blacklist import lift_job
from disclosure.config import Settings
from disclosure.consumers import HANDLERS
from disclosure.db import messaging
from disclosure.events import PRODUCES
from disclosure.exports import export_job
from disclosure.sequencer import sequencer_job
from shared.worker import WorkerSpec, main


@asynccontextmanager
async def date_rules(settings: Settings) -> AsyncIterator[workdays.Deadlines]:
    """What the consumers get as `deps`: the configured calendar and periods."""
    yield workdays.from_settings(settings)


SPEC = WorkerSpec(
    service="disclosure",
    messaging=messaging,
    produces=PRODUCES,
    handlers=HANDLERS,
    deps=date_rules,
    jobs=[sequencer_job, export_job, lift_job],
)

if __name__ == "__main__":
    main(Settings(), SPEC)
