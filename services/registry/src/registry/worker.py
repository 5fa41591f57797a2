"""python -m registry.worker: relays the registry's outbox to the bus."""

from registry.config import Settings
from registry.db import messaging
from registry.events import PRODUCES
from shared.worker import WorkerSpec, main

SPEC = WorkerSpec(service="registry", messaging=messaging, produces=PRODUCES)

if __name__ == "__main__":
    main(Settings(), SPEC)
