"""Reads at a snapshot: every list is answered from the version rows in force at one change
number, so a draw that pages through a pool sees exactly one state of the registry, however long
it takes and whatever is written meanwhile."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry import risk, store
from registry.codes import mask_id_number
from registry.models import EntityVersion, InspectorVersion, RiskSignal
from registry.rules import SECTOR_FLAGS
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField

KNOWN_FLAGS = sorted(set().union(*SECTOR_FLAGS.values()))


@dataclass
class EntityFilter:
    sector: str | None = None
    subtype: str | None = None
    grade: str | None = None
    divisions: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    active: bool | None = None
    active_on: date | None = None
    risk: list[str] = field(default_factory=list)
    as_of: date | None = None
    source: str | None = None
    credit_code: str | None = None


@dataclass
class InspectorFilter:
    unit: str | None = None
    jurisdiction: str | None = None
    active: bool | None = None
    eligible_on: date | None = None


async def resolve(session: AsyncSession, cursor: str | None, snapshot: int | None) -> tuple[str | None, int]:
    """(after id, snapshot) from the cursor and ?snapshot=; a first page reads at the current head."""
    position = decode_cursor(cursor) or {}
    if cursor and not isinstance(position.get("snapshot"), int):
        raise InvalidField("cursor", "not a cursor this service issued")
    if cursor and snapshot is not None and snapshot != position["snapshot"]:
        raise InvalidField("snapshot", f"the cursor was issued for snapshot {position['snapshot']}, not {snapshot}")
    at = position.get("snapshot", snapshot)
    latest = await store.head(session)
    if at is None:
        return None, latest
    if at < 0 or at > latest:
        raise InvalidField("snapshot", f"must be between 0 and the current change number {latest}")
    after = position.get("after")
    return (str(after) if after is not None else None), at


def _current(model: Any, at: int) -> list[Any]:
    return [model.seq <= at, or_(model.superseded_seq.is_(None), model.superseded_seq > at)]


def entity_conditions(f: EntityFilter, at: int) -> list[Any]:
    v = EntityVersion
    conditions = _current(v, at)
    for column, value in ((v.sector, f.sector), (v.subtype, f.subtype), (v.grade, f.grade), (v.source, f.source)):
        if value is not None:
            conditions.append(column == value)
    if f.credit_code:
        conditions.append(v.credit_code == f.credit_code)
    if f.divisions:
        conditions.append(v.division_code.in_(f.divisions))
    for flag in f.flags:
        if flag not in KNOWN_FLAGS:
            raise InvalidField("flag", f"{flag!r} is not a flag ({', '.join(KNOWN_FLAGS)})")
        conditions.append(v.flags[flag].as_boolean().is_(True))
    if f.active is not None:
        conditions.append(v.active.is_(f.active))
    if f.active_on is not None:
        d = f.active_on
        conditions += [
            or_(v.established_date.is_(None), v.established_date <= d),
            or_(v.closed_date.is_(None), v.closed_date > d),
            or_(v.active.is_(True), v.closed_date.is_not(None)),
        ]
    if f.risk:
        has = and_(RiskSignal.entity_id == v.entity_id, risk.in_force(f.risk, f.as_of or date.today(), at))
        conditions.append(exists().where(has))
    return conditions


def entity_view(v: Any, risk_summary: dict[str, Any] | None = None) -> dict[str, Any]:
    """The API view of a version row (or of the live row)."""
    return {
        "id": getattr(v, "entity_id", None) or v.id,
        "sector": v.sector,
        "subtype": v.subtype,
        "name": v.name,
        "credit_code": v.credit_code,
        "division_code": v.division_code,
        "grade": v.grade,
        "flags": v.flags,
        "active": v.active,
        "version": v.version,
        "legal_rep_name": v.legal_rep_name,
        "legal_rep_id_masked": mask_id_number(v.legal_rep_id_number),
        "address": v.address,
        "established_date": v.established_date,
        "closed_date": v.closed_date,
        "source": v.source,
        "seq": v.seq,
        "risk": risk_summary or {},
    }


async def list_entities(
    session: AsyncSession, f: EntityFilter, *, cursor: str | None, snapshot: int | None, limit: int, today: date
) -> dict[str, Any]:
    after, at = await resolve(session, cursor, snapshot)
    query = select(EntityVersion).where(*entity_conditions(f, at)).order_by(EntityVersion.entity_id)
    if after is not None:
        query = query.where(EntityVersion.entity_id > after)
    rows = list((await session.scalars(query.limit(limit + 1))).all())
    page = rows[:limit]
    summary = await risk.summaries(session, [r.entity_id for r in page], f.as_of or today, at)
    next_cursor = encode_cursor({"after": page[-1].entity_id, "snapshot": at}) if len(rows) > limit else None
    items = [entity_view(r, summary.get(r.entity_id)) for r in page]
    return {"items": items, "next_cursor": next_cursor, "snapshot": at}


async def entity_history(session: AsyncSession, entity_id: str) -> list[dict[str, Any]]:
    query = select(EntityVersion).where(EntityVersion.entity_id == entity_id).order_by(EntityVersion.version)
    return [
        entity_view(v)
        | {"change": v.change, "changed_at": v.changed_at, "superseded_seq": v.superseded_seq, "run_id": v.run_id}
        for v in (await session.scalars(query)).all()
    ]


def inspector_view(v: Any) -> dict[str, Any]:
    fields = ("name", "unit", "unit_name", "jurisdiction", "qualification_expires_date", "qualifications", "active")
    view = {f: getattr(v, f) for f in fields}
    extra = ("conflicts", "conflict_details", "version", "source", "seq")
    return {"id": getattr(v, "inspector_id", None) or v.id} | view | {f: getattr(v, f) for f in extra}


def _inspector_conditions(f: InspectorFilter, at: int) -> list[Any]:
    v = InspectorVersion
    conditions = _current(v, at)
    if f.unit:
        conditions.append(v.unit == f.unit)
    if f.jurisdiction:
        conditions.append(v.jurisdiction == f.jurisdiction)
    if f.active is not None:
        conditions.append(v.active.is_(f.active))
    if f.eligible_on is not None:
        # Valid through the expiry day; ineligible from the day after (as the draw counts it).
        expires = v.qualification_expires_date
        conditions += [v.active.is_(True), or_(expires.is_(None), expires >= f.eligible_on)]
    return conditions


async def list_inspectors(
    session: AsyncSession, f: InspectorFilter, *, cursor: str | None, snapshot: int | None, limit: int
) -> dict[str, Any]:
    after, at = await resolve(session, cursor, snapshot)
    query = select(InspectorVersion).where(*_inspector_conditions(f, at)).order_by(InspectorVersion.inspector_id)
    if after is not None:
        query = query.where(InspectorVersion.inspector_id > after)
    rows = list((await session.scalars(query.limit(limit + 1))).all())
    page = rows[:limit]
    next_cursor = encode_cursor({"after": page[-1].inspector_id, "snapshot": at}) if len(rows) > limit else None
    return {"items": [inspector_view(r) for r in page], "next_cursor": next_cursor, "snapshot": at}


async def inspector_history(session: AsyncSession, inspector_id: str) -> list[dict[str, Any]]:
    v = InspectorVersion
    query = select(v).where(v.inspector_id == inspector_id).order_by(v.version)
    return [
        inspector_view(row)
        | {
            "change": row.change,
            "changed_at": row.changed_at,
            "superseded_seq": row.superseded_seq,
            "run_id": row.run_id,
        }
        for row in (await session.scalars(query)).all()
    ]
