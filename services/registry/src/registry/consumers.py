"""Inspection outcomes as risk signals (origin `inspection`), one function per event type.

A signal's ref is the inspection id (plus the kind of fact), so the same fact arriving twice —
a replay the inbox missed, or completed and rectification_ordered describing one hazard — is
recorded once. Malformed events can never succeed and are rejected permanently.
"""

from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry import risk
from registry.models import RiskSignal
from registry.risk import Signal
from registry.service import BUREAU_TZ
from shared.events import Event
from shared.messaging import Handler, PermanentEventError

ORIGIN = "inspection"
COMPLETED = "ssj.inspection.completed"
RECTIFICATION_ORDERED = "ssj.inspection.rectification_ordered"
RECTIFICATION_OVERDUE = "ssj.inspection.rectification_overdue"
RECTIFICATION_CLOSED = "ssj.inspection.rectification_closed"
SANCTIONED = "ssj.inspection.sanctioned"
LISTED_SUPERVISION = "ssj.inspection.listed_supervision_reported"
BLACKLISTED = "ssj.inspection.blacklisted"
SERIOUS_SANCTIONS = {"suspension", "licence_revoked", "criminal_referral"}


class EntityRef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str


class FollowUp(BaseModel):
    """The fields every inspection follow-up event carries (docs/events.md)."""

    model_config = ConfigDict(extra="ignore")

    inspection_id: str
    entity: EntityRef
    at: datetime


def _parse(model: type[BaseModel], event: Event) -> Any:
    try:
        return model.model_validate(event.data)
    except ValidationError as exc:
        raise PermanentEventError(f"{event.type} {event.id}: invalid payload: {exc}") from None


def _day(at: datetime) -> date:
    """The bureau's calendar day of a recorded fact (times without a zone are UTC)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(BUREAU_TZ).date()


async def _record(session: AsyncSession, entity_id: str, signals: list[Signal]) -> None:
    await risk.record(session, ORIGIN, [(entity_id, s) for s in signals], now=datetime.now(UTC))


class Finding(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item_code: str
    result: str


class Outcome(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str


class Completed(BaseModel):
    model_config = ConfigDict(extra="ignore")

    inspection_id: str
    entity: EntityRef
    findings: list[Finding]
    outcome: Outcome | None = None
    completed_at: datetime
    version: int = 1


def _stated(done: Completed) -> set[str]:
    """The refs of the signals this version of the result states (overdue facts come later)."""
    refs = {f"{done.inspection_id}:hazard"} if any(f.result == "non_compliant" for f in done.findings) else set()
    kind = done.outcome.type if done.outcome else "no_issues"
    suffix = {"listed_supervision": "listed", "blacklisted": "blacklist"}.get(kind, kind)
    return refs | ({f"{done.inspection_id}:{suffix}"} if kind != "no_issues" else set())


async def on_completed(session: AsyncSession, event: Event, deps: Any) -> None:
    """Non-compliant findings are hidden hazards (隐患) from the day of the inspection. A corrected
    result (version 2, 3 ...) supersedes the earlier one: signals only the earlier version stated
    are retracted — kept on record, but never counted."""
    done: Completed = _parse(Completed, event)
    items = sorted(f.item_code for f in done.findings if f.result == "non_compliant")
    if items:
        hazard = Signal("hidden_hazard", _day(done.completed_at), f"{done.inspection_id}:hazard", {"items": items})
        await _record(session, done.entity.id, [hazard])
    if done.version > 1:
        stated = _stated(done)
        query = select(RiskSignal.id, RiskSignal.ref).where(
            RiskSignal.entity_id == done.entity.id,
            RiskSignal.origin == ORIGIN,
            RiskSignal.ref.startswith(f"{done.inspection_id}:"),
            RiskSignal.ended_seq.is_(None),
        )
        found = (await session.execute(query)).all()
        await risk.retract(session, [sid for sid, ref in found if ref not in stated and not ref.endswith(":overdue")])


class Ordered(FollowUp):
    deadline: date
    item_codes: list[str] = []


async def on_rectification_ordered(session: AsyncSession, event: Event, deps: Any) -> None:
    fact: Ordered = _parse(Ordered, event)
    detail = {"items": sorted(fact.item_codes), "deadline": fact.deadline.isoformat()}
    await _record(
        session, fact.entity.id, [Signal("hidden_hazard", _day(fact.at), f"{fact.inspection_id}:hazard", detail)]
    )


class Overdue(FollowUp):
    deadline: date
    escalation: str | None = None


async def on_rectification_overdue(session: AsyncSession, event: Event, deps: Any) -> None:
    """Not rectified in time: a serious violation (逾期未改), whatever the sector."""
    fact: Overdue = _parse(Overdue, event)
    detail = {"deadline": fact.deadline.isoformat(), "escalation": fact.escalation}
    signal = Signal("serious_violation", _day(fact.at), f"{fact.inspection_id}:overdue", detail)
    await _record(session, fact.entity.id, [signal])


class Closed(FollowUp):
    rectified: bool
    reinspection_id: str | None = None


async def on_rectification_closed(session: AsyncSession, event: Event, deps: Any) -> None:
    """A rectified hazard stops counting from the day it was closed; the record stays."""
    fact: Closed = _parse(Closed, event)
    if not fact.rectified:
        return
    query = select(RiskSignal.id).where(
        RiskSignal.entity_id == fact.entity.id,
        RiskSignal.origin == ORIGIN,
        RiskSignal.ref == f"{fact.inspection_id}:hazard",
    )
    await risk.end(session, list((await session.scalars(query)).all()), _day(fact.at))


class Sanctioned(FollowUp):
    sanction: str
    fine_yuan: float | None = None
    note: str = ""


async def on_sanctioned(session: AsyncSession, event: Event, deps: Any) -> None:
    fact: Sanctioned = _parse(Sanctioned, event)
    detail = {"sanction": fact.sanction, "fine_yuan": fact.fine_yuan}
    signals = [Signal("penalty", _day(fact.at), f"{fact.inspection_id}:{fact.sanction}", detail)]
    if fact.sanction in SERIOUS_SANCTIONS:
        signals.append(Signal("serious_violation", _day(fact.at), f"{fact.inspection_id}:{fact.sanction}", detail))
    await _record(session, fact.entity.id, signals)


class Listed(FollowUp):
    hazard: str


async def on_listed_supervision(session: AsyncSession, event: Event, deps: Any) -> None:
    """A major fire hazard reported for listed supervision (挂牌督办)."""
    fact: Listed = _parse(Listed, event)
    detail = {"major": True, "hazard": fact.hazard}
    await _record(
        session, fact.entity.id, [Signal("hidden_hazard", _day(fact.at), f"{fact.inspection_id}:listed", detail)]
    )


class Blacklisted(FollowUp):
    until: date
    restrictions: list[str] = []


async def on_blacklisted(session: AsyncSession, event: Event, deps: Any) -> None:
    """Blacklisted until a date: a serious violation that ends then. The persons named in the
    event are not kept here: the registry has no use for their ID numbers."""
    fact: Blacklisted = _parse(Blacklisted, event)
    detail = {"blacklist": True, "until": fact.until.isoformat(), "restrictions": sorted(fact.restrictions)}
    signal = Signal(
        "serious_violation", _day(fact.at), f"{fact.inspection_id}:blacklist", detail, ended_date=fact.until
    )
    await _record(session, fact.entity.id, [signal])


HANDLERS: dict[str, Handler] = {
    COMPLETED: on_completed,
    RECTIFICATION_ORDERED: on_rectification_ordered,
    RECTIFICATION_OVERDUE: on_rectification_overdue,
    RECTIFICATION_CLOSED: on_rectification_closed,
    SANCTIONED: on_sanctioned,
    LISTED_SUPERVISION: on_listed_supervision,
    BLACKLISTED: on_blacklisted,
}
