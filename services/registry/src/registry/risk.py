"""Risk signals: dated facts that make the draw weight or intensify checks on an entity (seed §3:
complaints, the abnormal-operation list, serious violations, penalties, fires, hidden hazards).

They come from source systems (origin `source:<name>`) and from inspection events (origin
`inspection`). A signal is never deleted; one that stops applying gets an end date. Whether a
signal counts on a day depends on its kind: complaints count for 12 months, the abnormal list
while listed, the rest for three years.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry import events
from registry.models import RiskSignal
from registry.store import take_seqs
from shared.messaging import insert_ignore

KINDS = ("complaint", "abnormal_list", "serious_violation", "penalty", "fire", "hidden_hazard")
LOOKBACK_DAYS: dict[str, int | None] = {
    "complaint": 365,
    "abnormal_list": None,
    "serious_violation": 3 * 365,
    "penalty": 3 * 365,
    "fire": 3 * 365,
    "hidden_hazard": 3 * 365,
}
# Kinds a source reports as a current state: absent from the source's record means it has ended.
STATE_KINDS = frozenset({"abnormal_list"})


@dataclass(frozen=True)
class Signal:
    kind: str
    occurred_date: date
    ref: str
    detail: dict[str, Any] = field(default_factory=dict)
    ended_date: date | None = None


def in_force(kinds: list[str], as_of: date, snapshot: int) -> ColumnElement[bool]:
    """Signals of these kinds that count on `as_of`, in the registry state at change `snapshot`."""
    per_kind = []
    for kind in kinds:
        condition = [RiskSignal.kind == kind]
        if LOOKBACK_DAYS[kind] is not None:
            condition.append(RiskSignal.occurred_date > as_of - timedelta(days=LOOKBACK_DAYS[kind] or 0))
        per_kind.append(and_(*condition))
    return and_(
        or_(*per_kind),
        RiskSignal.occurred_date <= as_of,
        RiskSignal.recorded_seq <= snapshot,
        or_(RiskSignal.ended_seq.is_(None), RiskSignal.ended_seq > snapshot, RiskSignal.ended_date > as_of),
    )


async def summaries(
    session: AsyncSession, entity_ids: list[str] | None, as_of: date, snapshot: int
) -> dict[str, dict[str, dict[str, Any]]]:
    """{entity id: {kind: {count, last_date}}} for the signals in force (of every entity: None)."""
    if entity_ids is not None and not entity_ids:
        return {}
    query = (
        select(RiskSignal.entity_id, RiskSignal.kind, func.count(), func.max(RiskSignal.occurred_date))
        .where(in_force(list(KINDS), as_of, snapshot))
        .group_by(RiskSignal.entity_id, RiskSignal.kind)
    )
    if entity_ids is not None:
        query = query.where(RiskSignal.entity_id.in_(entity_ids))
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for entity_id, kind, count, last in await session.execute(query):
        found.setdefault(entity_id, {})[kind] = {"count": count, "last_date": last}
    return found


async def signals_of(session: AsyncSession, entity_id: str) -> list[RiskSignal]:
    query = select(RiskSignal).where(RiskSignal.entity_id == entity_id)
    return list((await session.scalars(query.order_by(RiskSignal.occurred_date, RiskSignal.id))).all())


async def record(session: AsyncSession, origin: str, items: list[tuple[str, Signal]], *, now: datetime) -> int:
    """Insert the (entity id, signal) pairs not yet on record (by entity, kind, origin, ref) in one
    statement; returns how many were new. Replays and re-synced pages add nothing."""
    if not items:
        return 0
    base = await take_seqs(session, len(items))
    rows = [
        {
            "entity_id": entity_id,
            "kind": s.kind,
            "occurred_date": s.occurred_date,
            "ended_date": s.ended_date,
            "origin": origin,
            "ref": s.ref,
            "detail": s.detail,
            "recorded_at": now,
            "recorded_seq": base + i,
            "ended_seq": base + i if s.ended_date else None,
        }
        for i, (entity_id, s) in enumerate(items, start=1)
    ]
    table, new_seqs = RiskSignal.__table__, set[int]()
    for start in range(0, len(rows), 2000):  # under the bind-parameter limits of both databases
        chunk = rows[start : start + 2000]
        statement = insert_ignore(session, table).values(chunk).on_conflict_do_nothing().returning(table.c.recorded_seq)
        new_seqs.update((await session.execute(statement)).scalars())
    await events.risk_signals_recorded(session, [row for row in rows if row["recorded_seq"] in new_seqs])
    return len(new_seqs)


async def end(session: AsyncSession, ids: list[int], on: date) -> None:
    """Signals that stopped applying on `on` (delisted, rectified): kept, with an end date."""
    if not ids:
        return
    base = await take_seqs(session, 1)
    await session.execute(
        update(RiskSignal)
        .where(RiskSignal.id.in_(ids), RiskSignal.ended_seq.is_(None))
        .values(ended_date=on, ended_seq=base + 1)
    )


async def retract(session: AsyncSession, ids: list[int]) -> None:
    """Signals a corrected result no longer states: ended on the day they began, so they never
    count, and kept so the record shows what was once said."""
    if not ids:
        return
    base = await take_seqs(session, 1)
    await session.execute(
        update(RiskSignal)
        .where(RiskSignal.id.in_(ids), RiskSignal.ended_seq.is_(None))
        .values(ended_date=RiskSignal.occurred_date, ended_seq=base + 1)
    )


async def mirror_source(
    session: AsyncSession, origin: str, by_entity: dict[str, list[Signal]], *, now: datetime, today: date
) -> int:
    """Make the source's current signals the ones on record for its entities: add what is new and
    end the state signals (abnormal list) the source no longer reports. Event-like signals
    (complaints, fires, penalties) stay: a source that only shows the last year must not erase them."""
    open_state = await _open_state_signals(session, origin, list(by_entity))
    gone = []
    for entity_id, signals in by_entity.items():
        reported = {(s.kind, s.ref) for s in signals}
        gone += [sid for sid, kind, ref in open_state.get(entity_id, []) if (kind, ref) not in reported]
    await end(session, gone, today)
    items = [(entity_id, s) for entity_id, signals in by_entity.items() for s in signals]
    return await record(session, origin, items, now=now)


async def _open_state_signals(
    session: AsyncSession, origin: str, entity_ids: list[str]
) -> dict[str, list[tuple[int, str, str]]]:
    if not entity_ids:
        return {}
    query = select(RiskSignal.id, RiskSignal.entity_id, RiskSignal.kind, RiskSignal.ref).where(
        RiskSignal.entity_id.in_(entity_ids),
        RiskSignal.origin == origin,
        RiskSignal.kind.in_(STATE_KINDS),
        RiskSignal.ended_seq.is_(None),
    )
    found: dict[str, list[tuple[int, str, str]]] = {}
    for sid, entity_id, kind, ref in await session.execute(query):
        found.setdefault(entity_id, []).append((sid, kind, ref))
    return found
