"""Registry writes: validated batches, deactivation (never deletion) and the database-specific
choice of write path."""

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry import bulk, events, store
from registry.models import Entity, Inspector
from registry.rules import entity_problems
from registry.schemas import EntityIn, InspectorIn
from shared.db import is_postgres
from shared.problems import InvalidField, ProblemError

BUREAU_TZ = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """The bureau's calendar day: what "active on", "expired" and "last 12 months" are counted in."""
    return datetime.now(BUREAU_TZ).date()


def reject(errors: list[dict[str, Any]]) -> ProblemError:
    first = errors[0]
    return ProblemError(
        422,
        "validation",
        "Request failed validation",
        f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=errors,
    )


def _duplicates(ids: list[str], kind: str) -> list[dict[str, str]]:
    seen: dict[str, int] = {}
    errors = []
    for i, ident in enumerate(ids):
        if ident in seen:
            errors.append({"field": f"{kind}[{i}].id", "message": f"duplicate of {kind}[{seen[ident]}]"})
        seen.setdefault(ident, i)
    return errors


def entity_row(e: EntityIn, source: str, source_ref: str | None = None, version: str | None = None) -> dict[str, Any]:
    """The row to store: flags in sorted order, so equal content always has equal digests."""
    flags = e.flags if len(e.flags) < 2 else dict(sorted(e.flags.items()))
    return e.__dict__ | {"flags": flags, "source": source, "source_ref": source_ref, "source_version": version}


async def write_entities(
    session: AsyncSession,
    rows: list[dict[str, Any]],
    *,
    now: datetime,
    run_id: str | None = None,
    change: str | None = None,
) -> tuple[int, int]:
    """(inserted, updated): one set-based statement on PostgreSQL, the portable path on SQLite."""
    if not rows:
        return 0, 0
    if is_postgres(session):
        return await bulk.upsert_entities(
            session, bulk.from_rows(rows), len(rows), now=now, run_id=run_id, change=change or "updated"
        )
    written = await store.upsert(session, store.ENTITIES, rows, now=now, run_id=run_id, change=change)
    inserted = sum(1 for r in written if r["version"] == 1)
    return inserted, len(written) - inserted


async def upsert_entities(session: AsyncSession, items: list[EntityIn], max_batch: int) -> dict[str, int]:
    """All or nothing: one invalid row rejects the batch with every error listed by field."""
    if len(items) > max_batch:
        raise InvalidField("entities", f"at most {max_batch} per batch, got {len(items)}")
    errors = _duplicates([e.id for e in items], "entities")
    for i, e in enumerate(items):
        errors += [{"field": f"entities[{i}].{f}", "message": m} for f, m in entity_problems(e, strict=False)]
    if errors:
        raise reject(errors)
    now = datetime.now(UTC)
    if is_postgres(session):  # the hot path of every bulk load: no per-row Python dicts
        records = bulk.from_models(items)
        inserted, updated = await bulk.upsert_entities(session, records, len(items), now=now, source="api")
    else:
        inserted, updated = await write_entities(session, [entity_row(e, "api") for e in items], now=now)
    return {"inserted": inserted, "updated": updated, "unchanged": len(items) - inserted - updated}


def inspector_row(
    i: InspectorIn, source: str, source_ref: str | None = None, version: str | None = None
) -> dict[str, Any]:
    """Recusals from both fields in one sorted list; the expiry defaults to the earliest qualification's."""
    details = sorted((d.model_dump(mode="json") for d in i.conflict_details), key=lambda d: d["entity_id"])
    qualifications = [q.model_dump(mode="json") for q in i.qualifications]
    expires = i.qualification_expires_date or min((q.expires_date for q in i.qualifications), default=None)
    return {
        "id": i.id,
        "name": i.name,
        "unit": i.unit,
        "unit_name": i.unit_name,
        "jurisdiction": i.jurisdiction,
        "qualification_expires_date": expires,
        "qualifications": sorted(qualifications, key=lambda q: (q["kind"], q["expires_date"])),
        "active": i.active,
        "conflicts": sorted(set(i.conflicts) | {d["entity_id"] for d in details}),
        "conflict_details": details,
        "source": source,
        "source_ref": source_ref,
        "source_version": version,
    }


async def write_inspectors(
    session: AsyncSession, rows: list[dict[str, Any]], *, now: datetime, run_id: str | None = None
) -> tuple[int, int]:
    written = await store.upsert(session, store.INSPECTORS, rows, now=now, run_id=run_id)
    inserted = sum(1 for r in written if r["version"] == 1)
    return inserted, len(written) - inserted


async def upsert_inspectors(session: AsyncSession, items: list[InspectorIn], max_batch: int) -> dict[str, int]:
    if len(items) > max_batch:
        raise InvalidField("inspectors", f"at most {max_batch} per batch, got {len(items)}")
    errors = _duplicates([i.id for i in items], "inspectors")
    if errors:
        raise reject(errors)
    rows = [inspector_row(i, "api") for i in items]
    inserted, updated = await write_inspectors(session, rows, now=datetime.now(UTC))
    return {"inserted": inserted, "updated": updated, "unchanged": len(items) - inserted - updated}


def _as_row(obj: Any) -> dict[str, Any]:
    return {column.key: getattr(obj, column.key) for column in obj.__table__.columns}


async def deactivate_entities(
    session: AsyncSession, ids: list[str], *, on: date, reason: str, now: datetime, run_id: str
) -> int:
    """Tombstones for entities that vanished from their source: a new, inactive version closed on
    `on` (unless the source gave a closing date), an upserted event and a deactivated event."""
    current = (await session.scalars(select(Entity).where(Entity.id.in_(ids), Entity.active.is_(True)))).all()
    rows = [_as_row(e) | {"active": False, "closed_date": e.closed_date or on} for e in current]
    _, deactivated = await write_entities(session, rows, now=now, run_id=run_id, change="deactivated")
    fresh = select(Entity).where(Entity.id.in_([r["id"] for r in rows])).execution_options(populate_existing=True)
    views = [events.entity_view(_as_row(e)) for e in (await session.scalars(fresh)).all()]
    await events.entities_deactivated(session, views, reason, run_id)
    return deactivated


async def deactivate_inspectors(session: AsyncSession, ids: list[str], *, now: datetime, run_id: str) -> int:
    current = (await session.scalars(select(Inspector).where(Inspector.id.in_(ids), Inspector.active.is_(True)))).all()
    rows = [_as_row(i) | {"active": False} for i in current]
    written = await store.upsert(session, store.INSPECTORS, rows, now=now, run_id=run_id, change="deactivated")
    return len(written)
