"""python -m notify.worker: consumes inspection results, delivers webhooks, relays the outbox."""

from notify.config import Settings
from notify.consumers import HANDLERS
from notify.db import messaging
from notify.delivery import deliver_forever, delivery_deps
from notify.events import PRODUCES
from shared.worker import WorkerSpec, main

SPEC = WorkerSpec(
    service="notify",
    messaging=messaging,
    produces=PRODUCES,
    handlers=HANDLERS,
    deps=delivery_deps,
    jobs=[deliver_forever],
)

if __name__ == "__main__":
    main(Settings(), SPEC)
