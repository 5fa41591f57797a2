"""The event notify consumes and the event it emits, through its outbox."""

from sqlalchemy.ext.asyncio import AsyncSession

from notify.db import messaging
from notify.models import Delivery
from shared.messaging import emit

SOURCE = "/ssj/notify"
INSPECTION_COMPLETED = "ssj.inspection.completed"
DELIVERY_DEAD_LETTERED = "ssj.notify.delivery.dead_lettered"
PRODUCES = [DELIVERY_DEAD_LETTERED]
# Event types a subscription may ask for: the ones notify routes to departments.
SUBSCRIBABLE = (INSPECTION_COMPLETED,)


async def delivery_dead_lettered(session: AsyncSession, delivery: Delivery) -> None:
    """A department did not receive a result: operations must follow up by other means."""
    data = {
        "delivery_id": delivery.id,
        "department": delivery.department,
        "event_id": delivery.event_id,
        "attempts": delivery.attempts,
        "last_status": delivery.last_status,
    }
    await emit(
        session, messaging, type=DELIVERY_DEAD_LETTERED, source=SOURCE, key=delivery.id, subject=delivery.id, data=data
    )
