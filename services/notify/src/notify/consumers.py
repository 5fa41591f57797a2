"""Events notify consumes: inspection results become deliveries to the departments they concern."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notify import service
from notify.events import INSPECTION_COMPLETED
from shared.events import Event
from shared.messaging import Handler, PermanentEventError


async def on_inspection_completed(session: AsyncSession, event: Event, deps: Any) -> None:
    """Route by the entity's sector and the outcome type (seed §4); nothing is sent here, only queued."""
    try:
        sector, outcome = event.data["entity"]["sector"], event.data["outcome"]["type"]
    except (KeyError, TypeError) as exc:
        raise PermanentEventError(f"inspection.completed without entity.sector or outcome.type: {exc!r}") from exc
    if not isinstance(sector, str) or not isinstance(outcome, str):
        raise PermanentEventError("entity.sector and outcome.type must be strings")
    await service.enqueue_deliveries(session, event=event, sector=sector, outcome=outcome)


HANDLERS: dict[str, Handler] = {INSPECTION_COMPLETED: on_inspection_completed}
