"""Recusal at the door (回避): an officer who discovers a conflict declares it, and the draw
service draws the substitute from the draw's own seed, so nobody here chooses who replaces whom."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from inspection import audit, service
from inspection.clients import DrawClient
from inspection.exceptions import AlreadyCompleted
from inspection.models import COMPLETED, Inspection, Recusal, TeamMember
from inspection.service import Officer
from inspection.submissions import RecusalIn


async def recuse(
    session: AsyncSession, *, inspection_id: str, body: RecusalIn, officer: Officer, draw: DrawClient, now: datetime
) -> Inspection:
    """The declaring officer leaves the team; the drawn substitute takes the same seat. A draft's
    confirmations by the departing officer stop counting; the substitute must confirm it too."""
    inspection = await service.team_inspection(session, inspection_id, officer)
    if inspection.status == COMPLETED:
        raise AlreadyCompleted(inspection.id, inspection.completed_at)
    answer = await draw.substitute(
        inspection.draw_id,
        entity_id=inspection.entity_id,
        recused_inspector_id=officer.inspector_id,
        team=inspection.team,
        reason=body.reason,
    )
    index = inspection.team.index(officer.inspector_id)
    seat = inspection.members[index].seat
    inspection.members[index] = TeamMember(inspector_id=answer.substitute_inspector_id, seat=seat)
    count = select(func.count()).select_from(Recusal).where(Recusal.inspection_id == inspection.id)
    session.add(
        Recusal(
            inspection_id=inspection.id,
            sequence=await session.scalar(count) or 0,
            recused_inspector_id=officer.inspector_id,
            substitute_inspector_id=answer.substitute_inspector_id,
            seat=seat,
            reason=body.reason,
            declared_at=now,
        )
    )
    entry = audit.entry(
        inspection.id,
        "recused",
        officer.caller,
        now,
        officer.inspector_id,
        reason=body.reason,
        substitute=answer.substitute_inspector_id,
        seat=seat,
        draw_sequence=answer.sequence,
        team=answer.team,
    )
    await audit.log(session, entry)
    await session.flush()
    return inspection


async def recusals_of(session: AsyncSession, inspection_id: str) -> list[Recusal]:
    query = select(Recusal).where(Recusal.inspection_id == inspection_id).order_by(Recusal.sequence)
    return list((await session.scalars(query)).all())
