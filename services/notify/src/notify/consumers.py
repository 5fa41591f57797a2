"""Events notify consumes: inspection facts become notifications and deliveries to the departments
the routing rules name. Nothing is sent here, only queued; the delivery job in the same worker is
woken once the queue commits."""

from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession

from notify import enqueue, routing
from shared.events import Event
from shared.messaging import Handler, PermanentEventError


def fact_of(event: Event) -> routing.Fact:
    """Every routed event carries `entity` (with its sector); results also carry `outcome`,
    and joint checks `check_type: "joint"` and `joint_departments` (docs/events.md)."""
    data = event.data
    try:
        sector = data["entity"]["sector"]
        outcome = data["outcome"]["type"] if event.type == routing.COMPLETED else None
    except (KeyError, TypeError) as exc:
        raise PermanentEventError(f"{event.type} without entity.sector or outcome.type: {exc!r}") from exc
    if not isinstance(sector, str) or not isinstance(outcome, str | None):
        raise PermanentEventError("entity.sector and outcome.type must be strings")
    check_type, participants = data.get("check_type"), data.get("joint_departments") or []
    if not isinstance(check_type, str | None):
        raise PermanentEventError("check_type must be a string")
    if not isinstance(participants, list) or not all(isinstance(code, str) for code in participants):
        raise PermanentEventError("joint_departments must be a list of department codes")
    return routing.Fact(event.type, sector, outcome, check_type, tuple(dict.fromkeys(participants)))


async def on_inspection_fact(session: AsyncSession, event: Event, deps: Any) -> None:
    queued = await enqueue.enqueue_deliveries(session, event=event, fact=fact_of(event))
    wake = getattr(deps, "wake", None)
    if queued and wake is not None:
        orm_event.listen(session.sync_session, "after_commit", lambda _session: wake.set(), once=True)


HANDLERS: dict[str, Handler] = {event_type: on_inspection_fact for event_type in routing.ROUTABLE}
