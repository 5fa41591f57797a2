"""Events the inspection service consumes: one function per type, and HANDLERS = {type: fn}."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import httpx
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from inspection import tasks
from inspection.clients import ChecklistKey, checklist_key, fetch_checklist
from inspection.events import DRAW_EXECUTED
from inspection.periods import due_within, utc_now
from inspection.schemas import Checklist, DrawExecuted
from shared.events import Event
from shared.messaging import Handler, PermanentEventError


@dataclass(frozen=True)
class Deps:
    """What handlers and jobs need beyond the session; built once per worker by worker.worker_deps.
    `clock` is injectable so tests move time instead of waiting for it."""

    registry: httpx.AsyncClient
    clock: Callable[[], datetime] = field(default=utc_now)


def parse_draw(event: Event) -> tuple[DrawExecuted, date]:
    """The payload and its due date, inside the period; malformed events can never succeed."""
    try:
        draw = DrawExecuted.model_validate(event.data)
        return draw, due_within(draw.period, draw.due_date)
    except ValidationError as exc:
        raise PermanentEventError(f"{event.type} {event.id}: invalid payload: {exc}") from None
    except ValueError as exc:
        raise PermanentEventError(f"{event.type} {event.id}: {exc}") from None


async def on_draw_executed(session: AsyncSession, event: Event, deps: Deps) -> None:
    """One task per selection. Selections that already have a task are skipped, and the
    (draw_id, position) constraint absorbs any race, so re-sent draws never duplicate work.
    A registry outage raises: the event is retried, never dropped."""
    draw, due_date = parse_draw(event)
    done = await tasks.existing_positions(session, draw_id=draw.draw_id)
    todo = [s for s in draw.selections if s.position not in done]
    checklists: dict[ChecklistKey, Checklist] = {}
    for selection in todo:
        key = checklist_key(selection.entity)
        if key not in checklists:
            checklists[key] = await fetch_checklist(deps.registry, key)
    await tasks.create_tasks(
        session,
        draw=draw,
        selections=todo,
        checklists=checklists,
        due_date=due_date,
        event_id=event.id,
        now=deps.clock(),
    )


HANDLERS: dict[str, Handler] = {DRAW_EXECUTED: on_draw_executed}
