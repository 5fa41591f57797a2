"""The audit trail: every step of an inspection, appended in the same transaction as the step."""

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from inspection.models import HistoryEntry
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField


def entry(
    inspection_id: str, action: str, actor: str, at: datetime, inspector_id: str | None = None, **detail: Any
) -> dict[str, Any]:
    return {
        "inspection_id": inspection_id,
        "action": action,
        "actor": actor,
        "inspector_id": inspector_id,
        "at": at,
        "detail": detail,
    }


async def log(session: AsyncSession, *entries: dict[str, Any]) -> None:
    """One multi-row insert, however many steps a change made."""
    if entries:
        await session.execute(insert(HistoryEntry), list(entries))


async def history(
    session: AsyncSession, *, inspection_id: str, cursor: str | None, limit: int
) -> tuple[list[HistoryEntry], str | None]:
    """Oldest first, keyset-paged on the append order."""
    after = decode_cursor(cursor)
    query = select(HistoryEntry).where(HistoryEntry.inspection_id == inspection_id)
    if after is not None:
        if not isinstance(after.get("id"), int):
            raise InvalidField("cursor", "not a cursor this service issued")
        query = query.where(HistoryEntry.id > after["id"])
    rows = list((await session.scalars(query.order_by(HistoryEntry.id).limit(limit + 1))).all())
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], encode_cursor({"id": rows[limit - 1].id})
