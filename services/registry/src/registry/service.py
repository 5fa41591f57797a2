"""Registry rules: validated upserts that detect change by content digest, and paged reads."""

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
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
    return await _upsert(session, Entity, [e.model_dump() for e in items], events.entity_upserted)


async def upsert_inspectors(session: AsyncSession, items: list[InspectorIn], max_batch: int) -> dict[str, int]:
    if len(items) > max_batch:
        raise InvalidField("inspectors", f"at most {max_batch} per batch, got {len(items)}")
    errors = _duplicates([i.id for i in items], "inspectors")
    if errors:
        raise _reject(errors)
    rows = [i.model_dump() | {"conflicts": sorted(set(i.conflicts))} for i in items]
    return await _upsert(session, Inspector, rows, events.inspector_upserted)


async def _upsert(
    session: AsyncSession,
    model: Any,
    rows: list[dict[str, Any]],
    announce: Callable[[AsyncSession, Any], Awaitable[None]],
) -> dict[str, int]:
    """Insert new rows, bump the version of changed ones, leave identical ones untouched."""
    existing = {
        row.id: row for row in (await session.scalars(select(model).where(model.id.in_([r["id"] for r in rows]))))
    }
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    now = datetime.now(UTC)
    for fields in rows:
        row, new_digest = existing.get(fields["id"]), digest(fields)
        if row is not None and row.digest == new_digest:
            counts["unchanged"] += 1
            continue
        if row is None:
            row = model(**fields, digest=new_digest, version=1, updated_at=now)
            session.add(row)
            counts["inserted"] += 1
        else:
            for key, value in fields.items():
                setattr(row, key, value)
            row.digest, row.version, row.updated_at = new_digest, row.version + 1, now
            counts["updated"] += 1
        await session.flush()
        await announce(session, row)
    return counts


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
