"""python -m disclosure.worker: consumes completed inspections, numbers the public feed, and
relays the outbox to the bus."""

from disclosure.config import Settings
from disclosure.consumers import HANDLERS
from disclosure.db import messaging
from disclosure.events import PRODUCES
from disclosure.sequencer import sequencer_job
from shared.worker import WorkerSpec, main

SPEC = WorkerSpec(service="disclosure", messaging=messaging, produces=PRODUCES, handlers=HANDLERS, jobs=[sequencer_job])

if __name__ == "__main__":
    main(Settings(), SPEC)
