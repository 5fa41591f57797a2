"""Disclosure rules: one pending result per inspection, one-way approval decisions, and reads of
what has been published. Functions flush and never commit; the caller owns the transaction."""

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from disclosure import redaction
from disclosure.exceptions import NotPending
from disclosure.feed import public_document
from disclosure.models import FeedEntry, Release, Result
from disclosure.schemas import InspectionCompleted
from shared.messaging import insert_ignore
from shared.observability import traceparent_var
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField, NotFound


def new_result_id() -> str:
    return "r-" + secrets.token_hex(6)


async def record_inspection(session: AsyncSession, *, data: InspectionCompleted) -> bool:
    """A pending result for a completed inspection; False if that inspection already has one.
    The unique inspection id, not the inbox alone, is what rules out a second result."""
    findings = [f.model_dump(mode="json") for f in data.findings]
    outcome = data.outcome.model_dump(mode="json")
    values = {
        "id": new_result_id(),
        "inspection_id": data.inspection_id,
        "draw_id": data.draw_id,
        "entity_id": data.entity.id,
        "entity": data.entity.model_dump(mode="json"),
        "sector": data.entity.sector,
        "team": data.team,
        "findings": findings,
        "outcome": outcome,
        "public_findings": redaction.public_findings(findings),
        "public_outcome": redaction.public_outcome(outcome),
        "completed_at": data.completed_at,
        "received_at": datetime.now(UTC),
        "status": "pending",
    }
    insert = insert_ignore(session, Result).values(**values).on_conflict_do_nothing(index_elements=["inspection_id"])
    return await session.scalar(insert.returning(Result.id)) is not None


async def result_or_404(session: AsyncSession, result_id: str, *, lock: bool = False) -> Result:
    query = select(Result).where(Result.id == result_id)
    result = await session.scalar(query.with_for_update() if lock else query)
    if result is None:
        raise NotFound("result", result_id)
    return result


async def latest_releases(session: AsyncSession, result_ids: list[str]) -> dict[str, int]:
    query = (
        select(Release.result_id, func.max(Release.number))
        .where(Release.result_id.in_(result_ids))
        .group_by(Release.result_id)
    )
    return {rid: number for rid, number in (await session.execute(query)).all()}


def view(result: Result, release: int | None) -> dict[str, Any]:
    """The internal read model: everything, plus the redacted preview an approver signs off."""
    fields = {c.key: getattr(result, c.key) for c in Result.__table__.columns}
    preview = {"findings": result.public_findings, "outcome": result.public_outcome}
    return fields | {"public_preview": preview, "release": release}


async def get_result(session: AsyncSession, *, result_id: str) -> dict[str, Any]:
    result = await result_or_404(session, result_id)
    return view(result, (await latest_releases(session, [result.id])).get(result.id))


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        return datetime.fromisoformat(position["at"]), str(position["id"])
    except (KeyError, TypeError, ValueError):
        raise InvalidField("cursor", "not a cursor this service issued") from None


async def list_results(
    session: AsyncSession,
    *,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """Oldest first, keyset-paged on (received_at, id): the approvers' queue in arrival order."""
    query = select(Result).order_by(Result.received_at, Result.id).limit(limit + 1)
    if status:
        query = query.where(Result.status == status)
    after = _after(cursor)
    if after:
        query = query.where(tuple_(Result.received_at, Result.id) > tuple_(*after))
    rows = list((await session.scalars(query)).all())
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor({"at": last.received_at.isoformat(), "id": last.id})
    releases = await latest_releases(session, [r.id for r in rows[:limit]])
    return [view(r, releases.get(r.id)) for r in rows[:limit]], next_cursor


def _decide(result: Result, status: str, by: str, note: str | None) -> datetime:
    if result.status != "pending":
        raise NotPending(result.id, result.status)
    now = datetime.now(UTC)
    result.status, result.decided_at, result.decided_by, result.decision_note = status, now, by, note
    return now


async def approve(session: AsyncSession, *, result_id: str, approver: str, note: str | None) -> dict[str, Any]:
    """Publish a pending result: release 1 frozen from the redacted fields, and a feed entry
    without a position. The sequencer numbers it once this transaction has committed."""
    result = await result_or_404(session, result_id, lock=True)
    now = _decide(result, "published", approver, note)
    release = Release(
        result_id=result.id,
        number=1,
        published_at=now,
        approved_by=approver,
        note=note,
        content=public_document(result, release=1, published_at=now),
    )
    session.add(release)
    await session.flush()
    session.add(
        FeedEntry(
            release_id=release.id, result_id=result.id, position=None, created_at=now, traceparent=traceparent_var.get()
        )
    )
    await session.flush()
    return view(result, release.number)


async def reject(session: AsyncSession, *, result_id: str, approver: str, reason: str) -> dict[str, Any]:
    """Refuse publication: nothing becomes public, the reason stays internal."""
    result = await result_or_404(session, result_id, lock=True)
    _decide(result, "rejected", approver, reason)
    await session.flush()
    return view(result, None)


async def feed_items(session: AsyncSession, *, after: int, limit: int) -> list[dict[str, Any]]:
    """Positioned entries only: an entry without a position is not yet safe to show."""
    query = (
        select(FeedEntry.position, Release.content)
        .join(Release, Release.id == FeedEntry.release_id)
        .where(FeedEntry.position > after)
        .order_by(FeedEntry.position)
        .limit(limit)
    )
    return [{"position": position} | content for position, content in (await session.execute(query)).all()]


async def public_result(session: AsyncSession, *, result_id: str) -> dict[str, Any]:
    """The latest release of a published result; anything else does not exist publicly."""
    query = (
        select(Release.content, FeedEntry.position)
        .join(FeedEntry, FeedEntry.release_id == Release.id)
        .join(Result, Result.id == Release.result_id)
        .where(Release.result_id == result_id, Result.status == "published")
        .order_by(Release.number.desc())
        .limit(1)
    )
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("published result", result_id)
    return {"position": row.position} | row.content
