"""Events the draw service consumes: one function per type, and HANDLERS = {type: fn}.

Compliance counts a drawn entity as checked once inspection reports it completed.
"""

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from draw.models import Completion
from shared.events import Event
from shared.messaging import Handler, PermanentEventError, insert_ignore

INSPECTION_COMPLETED = "ssj.inspection.completed"


class _Entity(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64)


class InspectionCompleted(BaseModel):
    """The part of docs/events.md's payload compliance needs; the rest is tolerated."""

    model_config = ConfigDict(extra="ignore")

    inspection_id: str = Field(min_length=1, max_length=64)
    draw_id: str = Field(min_length=1, max_length=16)
    position: int = Field(ge=1)
    entity: _Entity
    check_type: str | None = Field(None, max_length=16)
    completed_at: datetime


async def on_inspection_completed(session: AsyncSession, event: Event, deps: Any) -> None:
    """One completion per inspection; a replayed event (or a second report) changes nothing."""
    try:
        done = InspectionCompleted.model_validate(event.data)
    except ValidationError as exc:
        raise PermanentEventError(f"{event.type} {event.id}: invalid payload: {exc}") from None
    when = done.completed_at if done.completed_at.tzinfo else done.completed_at.replace(tzinfo=UTC)
    row = {
        "inspection_id": done.inspection_id,
        "draw_id": done.draw_id,
        "position": done.position,
        "entity_id": done.entity.id,
        "check_type": done.check_type,
        "completed_at": when,
    }
    await session.execute(insert_ignore(session, Completion).values(**row).on_conflict_do_nothing())


HANDLERS: dict[str, Handler] = {INSPECTION_COMPLETED: on_inspection_completed}
