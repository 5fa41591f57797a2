"""The events notify consumes (inspection facts, see notify.routing) and the event it emits."""

from sqlalchemy.ext.asyncio import AsyncSession

from notify.db import messaging
from notify.models import Delivery
from notify.routing import ROUTABLE
from shared.messaging import emit

SOURCE = "/ssj/notify"
DELIVERY_DEAD_LETTERED = "ssj.notify.delivery.dead_lettered"
PRODUCES = [DELIVERY_DEAD_LETTERED]
# Event types a subscription may ask for: every one routing rules may send to a department.
SUBSCRIBABLE = ROUTABLE


async def delivery_dead_lettered(session: AsyncSession, delivery: Delivery) -> None:
    """A department did not receive a result: operations must follow up by other means."""
    data = {
        "delivery_id": delivery.id,
        "department": delivery.department,
        "subscription_id": delivery.subscription_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "rule_id": delivery.rule_id,
        "rule_version": delivery.rule_version,
        "attempts": delivery.attempts,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
    }
    await emit(
        session, messaging, type=DELIVERY_DEAD_LETTERED, source=SOURCE, key=delivery.id, subject=delivery.id, data=data
    )
