"""Consumed events: completed inspections become results awaiting internal approval; sanctions
become published penalties where the sector publishes them; blacklistings become the public
blacklist. Each handler is idempotent beyond the inbox (unique inspection or event ids)."""

import logging
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from disclosure import blacklist, releases, service
from disclosure.documents import OUTCOMES_ZH
from disclosure.models import Result, Sanction
from disclosure.policy import policy_for
from disclosure.schemas import InspectionBlacklisted, InspectionCompleted, InspectionSanctioned
from disclosure.workdays import Deadlines, deadlines
from shared.events import Event
from shared.messaging import PermanentEventError, insert_ignore

log = logging.getLogger("disclosure.consumers")
Data = TypeVar("Data", bound=BaseModel)


def _parse(model: type[Data], event: Event) -> Data:
    try:
        return model.model_validate(event.data)
    except ValidationError as exc:
        raise PermanentEventError(f"{event.type} data does not match the contract: {exc}") from exc


async def on_inspection_completed(session: AsyncSession, event: Event, deps: Any) -> None:
    """Nothing is published here: the result waits for an approver (内部审批程序)."""
    data = _parse(InspectionCompleted, event)
    rules = deps if isinstance(deps, Deadlines) else deadlines()
    await service.record_inspection(session, data=data, rules=rules, now=datetime.now(UTC))


async def on_inspection_sanctioned(session: AsyncSession, event: Event, _deps: Any) -> None:
    """Kept by inspection id whatever the order of arrival; released at once if the result is
    already public and its sector publishes penalties (消防 查处结果, 网吧 信用情况)."""
    data = _parse(InspectionSanctioned, event)
    values = {
        "event_id": event.id,
        "inspection_id": data.inspection_id,
        "sanction": data.sanction,
        "fine_yuan": data.fine_yuan,
        "note": data.note,
        "decided_at": data.at,
    }
    insert = insert_ignore(session, Sanction).values(**values).on_conflict_do_nothing(index_elements=["event_id"])
    if await session.scalar(insert.returning(Sanction.id)) is None:
        return
    query = select(Result).where(Result.inspection_id == data.inspection_id).with_for_update()
    result = await session.scalar(query)
    if result is None or result.status != "published" or not policy_for(result.sector).publishes_penalties:
        return  # pending: the approval's release will carry it; otherwise not public
    await releases.add_penalty(
        session, result, sanction_zh=OUTCOMES_ZH.get(data.sanction, data.sanction), now=datetime.now(UTC)
    )


async def on_inspection_blacklisted(session: AsyncSession, event: Event, _deps: Any) -> None:
    data = _parse(InspectionBlacklisted, event)
    await blacklist.record_blacklisting(session, data=data, now=datetime.now(UTC))


HANDLERS = {
    "ssj.inspection.completed": on_inspection_completed,
    "ssj.inspection.sanctioned": on_inspection_sanctioned,
    "ssj.inspection.blacklisted": on_inspection_blacklisted,
}
