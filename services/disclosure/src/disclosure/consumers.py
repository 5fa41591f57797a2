"""Consumed events: completed inspections become results awaiting internal approval."""

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from disclosure import service
from disclosure.schemas import InspectionCompleted
from shared.events import Event
from shared.messaging import PermanentEventError


async def on_inspection_completed(session: AsyncSession, event: Event, _deps: Any) -> None:
    """Nothing is published here: the result waits for an approver (内部审批程序)."""
    try:
        data = InspectionCompleted.model_validate(event.data)
    except ValidationError as exc:
        raise PermanentEventError(f"inspection.completed data does not match the contract: {exc}") from exc
    await service.record_inspection(session, data=data)


HANDLERS = {"ssj.inspection.completed": on_inspection_completed}
