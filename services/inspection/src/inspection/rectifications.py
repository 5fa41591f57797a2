"""Rectification follow-up (限期整改): the order, the re-inspection (复查) that closes it, and
the scheduled check that finds orders past their deadline. Seed §4: a blasting unit that has
not rectified in time is ordered to suspend for rectification (逾期仍不改正的，责令停业整顿)."""

import asyncio
import logging
import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inspection import audit, events, service
from inspection.exceptions import Rejected
from inspection.models import Inspection, Rectification, Reinspection
from inspection.periods import bureau_today
from inspection.rules import evidence_errors
from inspection.service import Officer
from inspection.submissions import ReinspectionIn
from shared.db import is_postgres
from shared.messaging import Outgoing
from shared.problems import Conflict

log = logging.getLogger("ssj.inspection.rectifications")
OPEN, OVERDUE, RECTIFIED, NOT_RECTIFIED = "open", "overdue", "rectified", "not_rectified"
# What an overdue rectification escalates to, by sector (seed §4 names blasting units only).
ESCALATION = {"blasting": "suspension"}
ESCALATION_NOTE = "逾期未整改，依法责令停业整顿 (rectification overdue: suspended for rectification)"


def as_date(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def check_correction(rectification: Rectification | None, deadline: date | None) -> None:
    """A correction may move an open order's deadline, never withdraw it or rewrite one followed up."""
    if rectification is None:
        return
    field = "outcome.rectification_deadline"
    if rectification.status == OPEN and deadline is None:
        raise Conflict(
            "rectification-open",
            f"the rectification ordered for {rectification.deadline} is open: a correction cannot withdraw "
            "it; record a re-inspection instead",
            field=field,
        )
    if rectification.status != OPEN and deadline != rectification.deadline:
        raise Conflict(
            "rectification-followed-up",
            f"the rectification ordered for {rectification.deadline} is already {rectification.status}; "
            "a correction cannot change its deadline",
            field=field,
        )


def on_result(inspection: Inspection, content: dict[str, Any], now: datetime) -> None:
    """A confirmed version with a deadline opens the order, or moves an open order's deadline."""
    deadline = content["outcome"]["rectification_deadline"]
    if deadline is None:
        return
    items = [f["item_code"] for f in content["findings"] if f["result"] == "non_compliant"]
    order = inspection.rectification
    if order is None:
        inspection.rectification = Rectification(
            deadline=as_date(deadline), item_codes=items, status=OPEN, version=inspection.version, ordered_at=now
        )
    elif order.status == OPEN:
        order.deadline, order.item_codes, order.version = as_date(deadline), items, inspection.version


def _escalate(inspection: Inspection, order: Rectification, now: datetime) -> list[Outgoing]:
    """停业整顿 for a blasting unit still not rectified after its deadline; once only."""
    escalation = ESCALATION.get(inspection.sector)
    if escalation is None or order.escalation is not None:
        return []
    order.escalation = escalation
    return [
        events.follow_up(inspection, events.SANCTIONED, now, sanction=escalation, fine_yuan=None, note=ESCALATION_NOTE)
    ]


async def reinspect(
    session: AsyncSession, *, inspection_id: str, body: ReinspectionIn, officer: Officer, now: datetime
) -> Reinspection:
    """Close the order: rectified, or not. "Not rectified" is a finding only once the deadline has passed."""
    inspection = await service.team_inspection(session, inspection_id, officer)
    order = inspection.rectification
    if order is None:
        raise Conflict(
            "no-rectification", f"inspection {inspection.id} ordered no rectification", field="inspection_id"
        )
    if order.status not in (OPEN, OVERDUE):
        raise Conflict("rectification-closed", f"the rectification of {inspection.id} is already {order.status}")
    if not body.rectified and bureau_today(now) <= order.deadline:
        raise Conflict(
            "deadline-not-passed",
            f"the unit has until {order.deadline} to rectify; record 'not rectified' after that day",
            field="rectified",
        )
    errors = evidence_errors(await service.task_of(session, inspection), body.evidence, "evidence")
    if errors:
        raise Rejected(errors)
    record = Reinspection(
        id="ri-" + secrets.token_hex(6),
        inspection_id=inspection.id,
        rectified=body.rectified,
        note=body.note,
        evidence=list(body.evidence),
        inspector_id=officer.inspector_id,
        recorded_at=now,
    )
    session.add(record)
    order.status, order.rectified = (RECTIFIED if body.rectified else NOT_RECTIFIED), body.rectified
    order.closed_at, order.reinspection_id = now, record.id
    outgoing = [
        events.follow_up(
            inspection, events.RECTIFICATION_CLOSED, now, rectified=body.rectified, reinspection_id=record.id
        )
    ]
    if not body.rectified:
        outgoing += _escalate(inspection, order, now)
    entry = audit.entry(
        inspection.id,
        "reinspected",
        officer.caller,
        now,
        officer.inspector_id,
        reinspection_id=record.id,
        rectified=body.rectified,
        escalation=order.escalation,
    )
    await audit.log(session, entry)
    await session.flush()
    await events.emit(session, outgoing)
    return record


async def detect_overdue(session: AsyncSession, *, now: datetime, limit: int) -> int:
    """Mark open orders whose deadline has passed (by the bureau's calendar) as overdue, and
    escalate where the seed says so. Rows locked by another worker are left to it."""
    query = (
        select(Rectification)
        .where(Rectification.status == OPEN, Rectification.deadline < bureau_today(now))
        .order_by(Rectification.deadline, Rectification.inspection_id)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    orders = list((await session.scalars(query)).all())
    if not orders:
        return 0
    found = await session.scalars(select(Inspection).where(Inspection.id.in_([o.inspection_id for o in orders])))
    inspections = {i.id: i for i in found}
    outgoing: list[Outgoing] = []
    history = []
    for order in orders:
        inspection = inspections[order.inspection_id]
        order.status, order.overdue_at = OVERDUE, now
        escalated = _escalate(inspection, order, now)
        outgoing.append(
            events.follow_up(
                inspection,
                events.RECTIFICATION_OVERDUE,
                now,
                deadline=order.deadline.isoformat(),
                escalation=order.escalation,
            )
        )
        outgoing += escalated
        history.append(
            audit.entry(
                inspection.id,
                "rectification_overdue",
                "scheduler",
                now,
                deadline=order.deadline.isoformat(),
                escalation=order.escalation,
            )
        )
    await audit.log(session, *history)
    await events.emit(session, outgoing)
    return len(orders)


async def overdue_job(
    sessionmaker: async_sessionmaker[AsyncSession], deps: Any, settings: Any, stop: asyncio.Event
) -> None:
    """Worker job: batches until none is left, then waits `overdue_check_seconds` (or stop)."""
    while not stop.is_set():
        try:
            while not stop.is_set():
                async with sessionmaker() as session, session.begin():
                    marked = await detect_overdue(session, now=deps.clock(), limit=settings.overdue_batch_size)
                if marked:
                    log.info("%d rectification orders became overdue", marked)
                if marked < settings.overdue_batch_size:
                    break
        except Exception:
            log.exception("overdue check failed; retrying next round")
        try:
            await asyncio.wait_for(stop.wait(), settings.overdue_check_seconds)
        except TimeoutError:
            pass
