"""python -m registry.worker: relays the registry's outbox, records inspection outcomes as risk
signals, and runs the source syncs (scheduled, requested through the API, or crashed and resumed)."""

from registry.config import Settings
from registry.consumers import HANDLERS
from registry.db import messaging
from registry.events import PRODUCES
from registry.scheduler import sync_job
from shared.worker import WorkerSpec, main

SPEC = WorkerSpec(service="registry", messaging=messaging, produces=PRODUCES, handlers=HANDLERS, jobs=[sync_job])

if __name__ == "__main__":
    main(Settings(), SPEC)
