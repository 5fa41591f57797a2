"""Reading inspections: one task, paged work lists for an officer or a unit, versions, and who
may act on a task. Results, recusals, evidence and rectification have modules of their own."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from inspection.exceptions import NotOnTeam
from inspection.models import Confirmation, Evidence, Inspection, InspectionVersion, TeamMember
from inspection.rules import Task
from inspection.schemas import DraftRead, InspectionRead
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField, NotFound


@dataclass(frozen=True)
class Officer:
    """Who is acting: the calling system's name and the inspector it speaks for."""

    caller: str
    inspector_id: str


async def get_inspection(session: AsyncSession, inspection_id: str, *, lock: bool = False) -> Inspection:
    """With `lock`, the row is locked and re-read, so concurrent steps run one after the other."""
    options = {"populate_existing": True} if lock else {}
    inspection = await session.get(Inspection, inspection_id, with_for_update=lock, execution_options=options)
    if inspection is None:
        raise NotFound("inspection", inspection_id)
    return inspection


async def team_inspection(session: AsyncSession, inspection_id: str, officer: Officer) -> Inspection:
    """The locked inspection, if the officer is on its team; 403 otherwise."""
    inspection = await get_inspection(session, inspection_id, lock=True)
    if officer.inspector_id not in inspection.team:
        raise NotOnTeam(officer.inspector_id, inspection.id, inspection.team)
    return inspection


async def task_of(session: AsyncSession, inspection: Inspection) -> Task:
    query = select(Evidence.sha256).where(Evidence.inspection_id == inspection.id)
    return Task(
        codes=[item["code"] for item in inspection.checklist],
        sector=inspection.sector,
        check_type=inspection.check_type,
        joint_departments=list(inspection.joint_departments),
        evidence=set((await session.scalars(query)).all()),
    )


@dataclass(frozen=True)
class InspectionFilter:
    """A work list: an officer's (inspector), a unit's (entity_id, or checking_body), a draw's."""

    inspector: str | None = None
    status: str | None = None
    draw_id: str | None = None
    sector: str | None = None
    entity_id: str | None = None
    checking_body: str | None = None
    check_type: str | None = None


async def list_inspections(
    session: AsyncSession, *, where: InspectionFilter, cursor: str | None, limit: int
) -> tuple[list[Inspection], str | None]:
    """Soonest due first, then in draw order; keyset-paged so pages hold under concurrent inserts."""
    order = tuple_(Inspection.due_date, Inspection.draw_id, Inspection.position)
    query = select(Inspection).order_by(*order.clauses).limit(limit + 1)
    if where.inspector:
        on_team = select(TeamMember.inspection_id).where(TeamMember.inspector_id == where.inspector)
        query = query.where(Inspection.id.in_(on_team))
    columns = (
        (Inspection.status, where.status),
        (Inspection.draw_id, where.draw_id),
        (Inspection.sector, where.sector),
        (Inspection.entity_id, where.entity_id),
        (Inspection.checking_body, where.checking_body),
        (Inspection.check_type, where.check_type),
    )
    for column, value in columns:
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


async def confirmed_by(session: AsyncSession, inspection: Inspection) -> list[str]:
    """Team members, in seat order, who confirmed exactly the current draft."""
    if inspection.draft_sha256 is None:
        return []
    query = select(Confirmation.inspector_id).where(
        Confirmation.inspection_id == inspection.id,
        Confirmation.version == inspection.version + 1,
        Confirmation.draft_sha256 == inspection.draft_sha256,
    )
    done = set((await session.scalars(query)).all())
    return [i for i in inspection.team if i in done]


async def draft_view(session: AsyncSession, inspection: Inspection) -> dict[str, Any] | None:
    if inspection.draft_content is None:
        return None
    confirmed = await confirmed_by(session, inspection)
    return {
        "version": inspection.version + 1,
        "sha256": inspection.draft_sha256,
        "content": inspection.draft_content,
        "confirmed_by": confirmed,
        "awaiting": [i for i in inspection.team if i not in confirmed],
    }


async def versions(session: AsyncSession, inspection_id: str) -> list[InspectionVersion]:
    query = select(InspectionVersion).where(InspectionVersion.inspection_id == inspection_id)
    return list((await session.scalars(query.order_by(InspectionVersion.version))).all())


async def inspection_read(session: AsyncSession, inspection: Inspection) -> InspectionRead:
    """The task as the API shows it, with the draft awaiting confirmation, if any."""
    answer = InspectionRead.model_validate(inspection)
    draft = await draft_view(session, inspection)
    answer.draft = DraftRead.model_validate(draft) if draft else None
    return answer
