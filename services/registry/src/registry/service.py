"""Registry rules: validated upserts that detect change by content digest, and paged reads."""

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry import events
from registry.catalog import SECTORS
from registry.models import Entity, Inspector
from registry.schemas import EntityIn, InspectorIn
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField, ProblemError

SECTOR_FLAGS = {
    "entertainment": {"lodging"},
    "special_trade": {"lodging"},
    "security_service": set(),
    "blasting": set(),
    "fire_safety": {"key_unit", "crowded_place", "public_gathering", "flammable_explosive"},
    "internet_cafe": {"abnormal_list"},
}


def digest(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def entity_errors(index: int, e: EntityIn) -> list[dict[str, str]]:
    """Rules that span fields: subtype of the sector, grade only for venues, the sector's flags."""
    at = f"entities[{index}]"
    errors = []
    if e.subtype not in SECTORS[e.sector]["subtypes"]:
        allowed = ", ".join(SECTORS[e.sector]["subtypes"])
        errors.append(
            {"field": f"{at}.subtype", "message": f"{e.subtype!r} is not a subtype of {e.sector} ({allowed})"}
        )
    if e.sector == "entertainment" and e.grade is None:
        errors.append({"field": f"{at}.grade", "message": "entertainment venues need grade A, B or C"})
    if e.sector != "entertainment" and e.grade is not None:
        errors.append({"field": f"{at}.grade", "message": "only entertainment venues are graded"})
    for flag in sorted(set(e.flags) - SECTOR_FLAGS[e.sector]):
        errors.append({"field": f"{at}.flags.{flag}", "message": f"not a flag of {e.sector}"})
    return errors


def _reject(errors: list[dict[str, str]]) -> ProblemError:
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


async def upsert_entities(session: AsyncSession, items: list[EntityIn], max_batch: int) -> dict[str, int]:
    if len(items) > max_batch:
        raise InvalidField("entities", f"at most {max_batch} per batch, got {len(items)}")
    errors = _duplicates([e.id for e in items], "entities")
    errors += [err for i, e in enumerate(items) for err in entity_errors(i, e)]
    if errors:
        raise _reject(errors)
    return await _upsert(session, Entity, [e.model_dump() for e in items], events.entities_upserted)


async def upsert_inspectors(session: AsyncSession, items: list[InspectorIn], max_batch: int) -> dict[str, int]:
    if len(items) > max_batch:
        raise InvalidField("inspectors", f"at most {max_batch} per batch, got {len(items)}")
    errors = _duplicates([i.id for i in items], "inspectors")
    if errors:
        raise _reject(errors)
    rows = [i.model_dump() | {"conflicts": sorted(set(i.conflicts))} for i in items]
    return await _upsert(session, Inspector, rows, events.inspectors_upserted)


async def _upsert(
    session: AsyncSession,
    model: Any,
    rows: list[dict[str, Any]],
    announce: Callable[[AsyncSession, list[dict[str, Any]]], Awaitable[None]],
) -> dict[str, int]:
    """Insert new rows, bump the version of changed ones, leave identical ones untouched —
    as three set-based statements, since sync jobs send thousands of rows at a time."""
    query = select(model.id, model.digest, model.version).where(model.id.in_([r["id"] for r in rows]))
    existing = {row.id: row for row in await session.execute(query)}
    now = datetime.now(UTC)
    inserts, updates = [], []
    for fields in rows:
        old, new_digest = existing.get(fields["id"]), digest(fields)
        if old is None:
            inserts.append(fields | {"digest": new_digest, "version": 1, "updated_at": now})
        elif old.digest != new_digest:
            updates.append(fields | {"digest": new_digest, "version": old.version + 1, "updated_at": now})
    if inserts:
        await session.execute(insert(model), inserts)
    if updates:
        await session.execute(update(model), updates)
    await announce(session, inserts + updates)
    return {"inserted": len(inserts), "updated": len(updates), "unchanged": len(rows) - len(inserts) - len(updates)}


async def page(
    session: AsyncSession,
    model: Any,
    filters: list[Any],
    cursor: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    """Keyset paging by id: stable under concurrent inserts, cursor opaque to callers."""
    after = (decode_cursor(cursor) or {}).get("after")
    query = select(model).where(*filters).order_by(model.id).limit(limit + 1)
    if after is not None:
        query = query.where(model.id > str(after))
    rows = list((await session.scalars(query)).all())
    next_cursor = encode_cursor({"after": rows[limit - 1].id}) if len(rows) > limit else None
    return rows[:limit], next_cursor
