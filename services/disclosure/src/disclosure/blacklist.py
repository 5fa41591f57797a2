"""The public blacklist (黑名单) of internet cafés and their responsible people (seed §4(四)):
listed from `ssj.inspection.blacklisted` with its period and restrictions, and lifted by a
release when the period ends. People appear as masked names (张*) and roles; ID numbers are
dropped on arrival and never stored."""

import asyncio
import logging
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from disclosure import documents
from disclosure.models import BlacklistEntry, BlacklistRelease
from disclosure.policy import policy_for
from disclosure.schemas import InspectionBlacklisted
from disclosure.workdays import local_date
from shared.messaging import insert_ignore
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField

log = logging.getLogger("disclosure.blacklist")


async def _release(session: AsyncSession, entry: BlacklistEntry, kind: str, number: int, now: datetime) -> None:
    content = documents.blacklist_document(entry, release=number, kind=kind, at=now)
    session.add(BlacklistRelease(entry_id=entry.id, number=number, kind=kind, content=content, published_at=now))


async def record_blacklisting(session: AsyncSession, *, data: InspectionBlacklisted, now: datetime) -> bool:
    """One listing per inspection; False for a repeat, or where the sector publishes no credit information."""
    if not policy_for(data.entity.sector).credit_information:
        log.info("blacklisting of %s (%s) is not published by sector policy", data.entity.id, data.entity.sector)
        return False
    persons = [{"name": p.name, "role": p.role} for p in data.persons]  # the ID number stops here
    values = {
        "id": "b-" + secrets.token_hex(6),
        "inspection_id": data.inspection_id,
        "entity_id": data.entity.id,
        "entity": {k: getattr(data.entity, k) for k in ("name", "credit_code", "sector")},
        "persons": persons,
        "public_persons": [documents.public_person(p) for p in persons],
        "restrictions": list(data.restrictions),
        "listed_at": data.at,
        "until": data.until,
        "status": "listed",
    }
    insert = (
        insert_ignore(session, BlacklistEntry).values(**values).on_conflict_do_nothing(index_elements=["inspection_id"])
    )
    entry_id = await session.scalar(insert.returning(BlacklistEntry.id))
    if entry_id is None:
        return False
    entry = await session.get(BlacklistEntry, entry_id)
    assert entry is not None
    await _release(session, entry, "listed", 1, now)
    await session.flush()
    if local_date(now) > data.until:  # the period was over before the event arrived
        await _lift(session, entry, now)
    return True


async def _lift(session: AsyncSession, entry: BlacklistEntry, now: datetime) -> None:
    entry.status, entry.lifted_at = "lifted", now
    await _release(session, entry, "lifted", 2, now)
    await session.flush()


async def lift_expired(session: AsyncSession, *, now: datetime) -> int:
    """Every listing whose last day is before today (local) gets its `lifted` release."""
    query = (
        select(BlacklistEntry)
        .where(BlacklistEntry.status == "listed", BlacklistEntry.until < local_date(now))
        .with_for_update(skip_locked=True)
    )
    entries = list((await session.scalars(query)).all())
    for entry in entries:
        await _lift(session, entry, now)
    return len(entries)


async def lift_job(
    sessionmaker: async_sessionmaker[AsyncSession], _deps: Any, settings: Any, stop: asyncio.Event
) -> None:
    """The worker's loop over the real clock; lift_expired takes `now`, so tests move time instead."""
    while not stop.is_set():
        try:
            async with sessionmaker() as session, session.begin():
                lifted = await lift_expired(session, now=datetime.now(UTC))
            if lifted:
                log.info("lifted %d blacklist listings whose period ended", lifted)
        except Exception:
            log.exception("lifting expired blacklist listings failed; retrying")
        try:
            await asyncio.wait_for(stop.wait(), settings.blacklist_interval_seconds)
        except TimeoutError:
            pass


async def _releases_of(session: AsyncSession, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    query = select(BlacklistRelease).where(BlacklistRelease.entry_id.in_(ids)).order_by(BlacklistRelease.number)
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for row in (await session.scalars(query)).all():
        out[row.entry_id].append(row.content)
    return out


def _item(entry: BlacklistEntry, releases: list[dict[str, Any]]) -> dict[str, Any]:
    latest = releases[-1]
    return {
        "entry_id": entry.id,
        "status": entry.status,
        "entity": latest["entity"],
        "persons": entry.public_persons,
        "restrictions": entry.restrictions,
        "restrictions_zh": latest["restrictions_zh"],
        "listed_at": entry.listed_at,
        "until": entry.until,
        "lifted_at": entry.lifted_at,
        "releases": releases,
    }


async def public_listing(
    session: AsyncSession, *, status: str | None, credit_code: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Listings, newest first, keyset-paged on (listed_at, id)."""
    query = select(BlacklistEntry).order_by(BlacklistEntry.listed_at.desc(), BlacklistEntry.id.desc())
    if status:
        query = query.where(BlacklistEntry.status == status)
    if credit_code:
        query = query.where(BlacklistEntry.entity["credit_code"].as_string() == credit_code.upper())
    after = decode_cursor(cursor)
    if after:
        try:
            key = (datetime.fromisoformat(after["at"]), str(after["id"]))
        except (KeyError, TypeError, ValueError):
            raise InvalidField("cursor", "not a cursor this service issued") from None
        query = query.where(tuple_(BlacklistEntry.listed_at, BlacklistEntry.id) < key)
    rows = list((await session.scalars(query.limit(limit + 1))).all())
    page = rows[:limit]
    releases = await _releases_of(session, [e.id for e in page])
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor({"at": page[-1].listed_at.isoformat(), "id": page[-1].id})
    return [_item(e, releases[e.id]) for e in page], next_cursor


async def credit_of(session: AsyncSession, entity_id: str) -> list[dict[str, Any]]:
    """A café's credit information shown with its results: its listings, current and lifted."""
    query = select(BlacklistEntry).where(BlacklistEntry.entity_id == entity_id).order_by(BlacklistEntry.listed_at)
    return [
        {
            "entry_id": e.id,
            "status": e.status,
            "restrictions": e.restrictions,
            "restrictions_zh": [documents.RESTRICTIONS_ZH.get(r, r) for r in e.restrictions],
            "persons": e.public_persons,
            "until": e.until,
        }
        for e in (await session.scalars(query)).all()
    ]
