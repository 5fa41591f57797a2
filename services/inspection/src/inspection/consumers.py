"""Events the inspection service consumes: one function per type, and HANDLERS = {type: fn}."""

from dataclasses import dataclass
from datetime import date

import httpx
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from inspection import service
from inspection.clients import ChecklistKey, checklist_key, fetch_checklist
from inspection.events import DRAW_EXECUTED
from inspection.periods import period_end
from inspection.schemas import Checklist, DrawExecuted
from shared.events import Event
from shared.messaging import Handler, PermanentEventError


@dataclass(frozen=True)
class Deps:
    """What handlers need beyond the session; built once per worker by worker.worker_deps."""

    registry: httpx.AsyncClient


def parse_draw(event: Event) -> tuple[DrawExecuted, date]:
    """The payload and its due date; malformed events can never succeed, so they are permanent."""
    try:
        draw = DrawExecuted.model_validate(event.data)
        return draw, draw.due_date or period_end(draw.period)
    except ValidationError as exc:
        raise PermanentEventError(f"{event.type} {event.id}: invalid payload: {exc}") from None
    except ValueError as exc:
        raise PermanentEventError(f"{event.type} {event.id}: no due_date and {exc}") from None


async def on_draw_executed(session: AsyncSession, event: Event, deps: Deps) -> None:
    """One task per selection. Selections that already have a task are skipped, and the
    (draw_id, position) constraint absorbs any race, so re-sent draws never duplicate work.
    A registry outage raises: the event is retried, never dropped."""
    draw, due_date = parse_draw(event)
    done = await service.existing_positions(session, draw_id=draw.draw_id)
    checklists: dict[ChecklistKey, Checklist] = {}
    for selection in draw.selections:
        if selection.position in done:
            continue
        key = checklist_key(selection.entity)
        if key not in checklists:
            checklists[key] = await fetch_checklist(deps.registry, key)
        await service.create_task(session, draw=draw, selection=selection, checklist=checklists[key], due_date=due_date)


HANDLERS: dict[str, Handler] = {DRAW_EXECUTED: on_draw_executed}
