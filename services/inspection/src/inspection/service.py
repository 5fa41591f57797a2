"""Inspection rules: tasks from draws (at most one per selection), paged work lists, and
completion — validated against the task's own checklist, immutable once recorded."""

import secrets
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import insert, select, tuple_
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from inspection import events, rules
from inspection.models import Finding, Inspection, TeamMember
from inspection.schemas import Checklist, CompletionIn, DrawExecuted, Selection
from shared.messaging import insert_ignore
from shared.paging import decode_cursor, encode_cursor
from shared.problems import Conflict, InvalidField, NotFound, ProblemError


def new_inspection_id() -> str:
    return "i-" + secrets.token_hex(6)


async def existing_positions(session: AsyncSession, *, draw_id: str) -> set[int]:
    rows = await session.scalars(select(Inspection.position).where(Inspection.draw_id == draw_id))
    return set(rows)


async def create_task(
    session: AsyncSession,
    *,
    draw: DrawExecuted,
    selection: Selection,
    checklist: Checklist,
    due_date: date,
) -> bool:
    """Insert the task unless (draw, position) already has one. False = it was already there:
    a redelivered or re-sent event is done work, not an error."""
    inspection_id = new_inspection_id()
    statement = (
        insert_ignore(session, Inspection)
        .values(
            id=inspection_id,
            draw_id=draw.draw_id,
            position=selection.position,
            checking_body=draw.checking_body,
            period=draw.period,
            entity_id=selection.entity_id,
            sector=selection.entity.sector,
            entity=selection.entity.model_dump(mode="json"),
            status="assigned",
            due_date=due_date,
            checklist_version=checklist.version,
            checklist=[item.model_dump() for item in checklist.items],
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["draw_id", "position"])
    )
    result = cast(CursorResult[Any], await session.execute(statement))
    if result.rowcount == 0:
        return False
    members = [
        {"inspection_id": inspection_id, "inspector_id": officer, "seat": seat}
        for seat, officer in enumerate(selection.team)
    ]
    await session.execute(insert(TeamMember), members)
    return True


async def get_inspection(session: AsyncSession, inspection_id: str, *, lock: bool = False) -> Inspection:
    inspection = await session.get(Inspection, inspection_id, with_for_update=lock)
    if inspection is None:
        raise NotFound("inspection", inspection_id)
    return inspection


async def list_inspections(
    session: AsyncSession,
    *,
    inspector: str | None,
    status: str | None,
    draw_id: str | None,
    sector: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Inspection], str | None]:
    """Soonest due first, then in draw order; keyset-paged so pages hold under concurrent inserts."""
    order = tuple_(Inspection.due_date, Inspection.draw_id, Inspection.position)
    query = select(Inspection).order_by(*order.clauses).limit(limit + 1)
    if inspector:
        on_team = select(TeamMember.inspection_id).where(TeamMember.inspector_id == inspector)
        query = query.where(Inspection.id.in_(on_team))
    for column, value in ((Inspection.status, status), (Inspection.draw_id, draw_id), (Inspection.sector, sector)):
        if value:
            query = query.where(column == value)
    after = _cursor_position(cursor)
    if after:
        query = query.where(order > tuple_(*after))
    rows = list((await session.scalars(query)).all())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor({"due": last.due_date.isoformat(), "draw": last.draw_id, "pos": last.position})


def _cursor_position(cursor: str | None) -> tuple[date, str, int] | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        return date.fromisoformat(position["due"]), str(position["draw"]), int(position["pos"])
    except (KeyError, TypeError, ValueError):
        raise InvalidField("cursor", "not a cursor this service issued") from None


async def complete(
    session: AsyncSession,
    *,
    inspection_id: str,
    completion: CompletionIn,
    completed_by: str,
    today: date,
) -> Inspection:
    """Record findings and outcome once; the row lock makes a concurrent second attempt see 'completed'."""
    inspection = await get_inspection(session, inspection_id, lock=True)
    if inspection.status == "completed":
        raise Conflict(
            "inspection-completed",
            f"inspection {inspection_id} was completed at "
            f"{inspection.completed_at}; completed inspections cannot change",
            field="status",
        )
    codes = [item["code"] for item in inspection.checklist]
    errors = rules.completion_errors(codes, completion.findings, completion.outcome, today)
    if errors:
        raise _reject(errors)
    _record(inspection, completion, completed_by)
    await session.flush()
    await events.inspection_completed(session, inspection)
    return inspection


def _record(inspection: Inspection, completion: CompletionIn, completed_by: str) -> None:
    order = {item["code"]: seq for seq, item in enumerate(inspection.checklist)}
    findings = sorted(completion.findings, key=lambda f: order[f.item_code])
    inspection.findings = [
        Finding(item_code=f.item_code, seq=order[f.item_code], result=f.result, note=f.note) for f in findings
    ]
    outcome = completion.outcome
    inspection.outcome_type, inspection.outcome_note = outcome.type, outcome.note
    inspection.rectification_deadline = outcome.rectification_deadline
    inspection.status, inspection.completed_by = "completed", completed_by
    inspection.completed_at = datetime.now(UTC)


def _reject(errors: list[dict[str, Any]]) -> ProblemError:
    first = errors[0]
    return ProblemError(
        422,
        "validation",
        "Request failed validation",
        f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=errors,
    )
