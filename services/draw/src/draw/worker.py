"""python -m draw.worker: relays the draw service's outbox to the bus and records inspection
completions for the compliance report."""

from draw.config import Settings
from draw.consumers import HANDLERS
from draw.db import messaging
from draw.events import PRODUCES
from shared.worker import WorkerSpec, main

SPEC = WorkerSpec(service="draw", messaging=messaging, produces=PRODUCES, handlers=HANDLERS)

if __name__ == "__main__":
    main(Settings(), SPEC)
