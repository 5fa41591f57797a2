"""python -m draw.worker: relays the draw service's outbox to the bus (it consumes nothing yet)."""

from draw.config import Settings
from draw.db import messaging
from draw.events import PRODUCES
from shared.worker import WorkerSpec, main

SPEC = WorkerSpec(service="draw", messaging=messaging, produces=PRODUCES)

if __name__ == "__main__":
    main(Settings(), SPEC)
