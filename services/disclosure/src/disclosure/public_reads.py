"""What the public reads: feed items, one result with every release and its compiled view, and
search over the compiled views. Only released content is read here, shown as a tombstone once
its result is withdrawn; nothing internal (team, notes to approvers, raw findings) is selected."""

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from disclosure import blacklist
from disclosure.documents import as_shown
from disclosure.models import FeedEntry, PublicView, Release, Result
from disclosure.policy import policy_for
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField, NotFound

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])|H(?P<half>[12])))?$")


def _shown(position: int | None, content: dict[str, Any], status: str) -> dict[str, Any]:
    return {"position": position} | as_shown(content, withdrawn=status == "withdrawn")


async def feed_items(session: AsyncSession, *, after: int, limit: int) -> list[dict[str, Any]]:
    """Positioned entries only: an entry without a position is not yet safe to show."""
    query = (
        select(FeedEntry.position, Release.content, Result.status)
        .join(Release, Release.id == FeedEntry.release_id)
        .join(Result, Result.id == FeedEntry.result_id)
        .where(FeedEntry.position > after)
        .order_by(FeedEntry.position)
        .limit(limit)
    )
    return [_shown(*row) for row in (await session.execute(query)).all()]


async def top_position(session: AsyncSession) -> int:
    return await session.scalar(select(func.max(FeedEntry.position))) or 0


async def public_result(session: AsyncSession, *, result_id: str) -> dict[str, Any]:
    """Every release in order, and the compiled view (the latest release); 404 if never published."""
    row = await session.get(PublicView, result_id)
    if row is None:
        raise NotFound("published result", result_id)
    query = (
        select(FeedEntry.position, Release.content)
        .join(FeedEntry, FeedEntry.release_id == Release.id)
        .where(Release.result_id == result_id)
        .order_by(Release.number)
    )
    releases = [_shown(position, content, row.status) for position, content in (await session.execute(query)).all()]
    credit = None
    if policy_for(row.sector).credit_information:
        entity_id = await session.scalar(select(Result.entity_id).where(Result.id == result_id))
        credit = await blacklist.credit_of(session, entity_id or "")
    current = {k: v for k, v in releases[-1].items() if k != "position"}
    return {"result_id": result_id, "status": row.status, "current": current, "credit": credit, "releases": releases}


def period_range(period: str) -> tuple[date, date]:
    """2026, 2026-11, 2026-Q4 or 2026-H2 as [first day, first day after)."""
    match = _PERIOD.match(period)
    if not match:
        raise InvalidField("period", "use YYYY, YYYY-MM, YYYY-Qn or YYYY-Hn, e.g. 2026-Q4")
    year = int(match["year"])
    first_month, months = 1, 12
    if match["month"]:
        first_month, months = int(match["month"]), 1
    elif match["quarter"]:
        first_month, months = 3 * int(match["quarter"]) - 2, 3
    elif match["half"]:
        first_month, months = 6 * int(match["half"]) - 5, 6
    end_month = first_month + months
    end = date(year + 1, 1, 1) if end_month > 12 else date(year, end_month, 1)
    return date(year, first_month, 1), end


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filtered(filters: dict[str, str | None]) -> Any:
    query = select(PublicView).where(PublicView.status == "published")
    if filters.get("entity_name"):
        query = query.where(PublicView.entity_name.ilike(_like(str(filters["entity_name"])), escape="\\"))
    if filters.get("credit_code"):
        query = query.where(PublicView.credit_code == str(filters["credit_code"]).strip().upper())
    for name in ("sector", "outcome"):
        if filters.get(name):
            query = query.where(getattr(PublicView, name) == filters[name])
    if filters.get("period"):
        first, after = period_range(str(filters["period"]))
        query = query.where(PublicView.completed_date >= first, PublicView.completed_date < after)
    return query


def _search_item(row: PublicView) -> dict[str, Any]:
    view = row.view
    return {
        "result_id": row.result_id,
        "status": row.status,
        "entity": view["entity"],
        "sector_name_zh": view["sector_name_zh"],
        "outcome": view["outcome"],
        "outcome_zh": view["outcome_zh"],
        "completed_at": row.completed_at,
        "latest_release": row.latest_release,
        "url": f"/public/v1/results/{row.result_id}",
    }


async def search(
    session: AsyncSession, *, filters: dict[str, str | None], cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Published results (not withdrawn), most recently completed first, keyset-paged."""
    query = _filtered(filters).order_by(PublicView.completed_at.desc(), PublicView.result_id.desc())
    after = decode_cursor(cursor)
    if after:
        try:
            key = (datetime.fromisoformat(after["at"]), str(after["id"]))
        except (KeyError, TypeError, ValueError):
            raise InvalidField("cursor", "not a cursor this service issued") from None
        query = query.where(tuple_(PublicView.completed_at, PublicView.result_id) < key)
    rows = list((await session.scalars(query.limit(limit + 1))).all())
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor({"at": rows[limit - 1].completed_at.isoformat(), "id": rows[limit - 1].result_id})
    return [_search_item(r) for r in rows[:limit]], next_cursor
