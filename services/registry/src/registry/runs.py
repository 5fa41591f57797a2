"""Run records: every sync and every bulk import leaves one, with its counts and per-record errors."""

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.models import SyncError, SyncRun
from shared.paging import decode_cursor, encode_cursor
from shared.problems import InvalidField, NotFound

COUNTS = ("inserted", "updated", "unchanged", "deactivated", "rejected")
RAW_LIMIT = 2000  # characters of a rejected record kept for the operator


def new_run_id() -> str:
    return f"run-{uuid.uuid4().hex[:16]}"


def blank_run(run_id: str, *, source: str, mode: str, status: str, trigger: str, by: str, now: datetime) -> SyncRun:
    zero: dict[str, Any] = {name: 0 for name in (*COUNTS, "pages_done", "records_seen", "resumes")}
    return SyncRun(
        id=run_id, source=source, mode=mode, status=status, trigger=trigger, requested_by=by, created_at=now, **zero
    )


async def add_errors(session: AsyncSession, run_id: str, errors: list[dict[str, Any]]) -> None:
    """errors: {row, source_ref, field, reason, raw}; raw is kept as (truncated) JSON."""
    if not errors:
        return
    rows = [
        {
            "run_id": run_id,
            "row": e.get("row"),
            "source_ref": (str(e["source_ref"])[:64] if e.get("source_ref") is not None else None),
            "field": e["field"][:80],
            "reason": e["reason"],
            "raw": json.dumps(e["raw"], ensure_ascii=False, default=str)[:RAW_LIMIT] if e.get("raw") else None,
        }
        for e in errors
    ]
    await session.execute(insert(SyncError), rows)


async def get_run(session: AsyncSession, run_id: str) -> SyncRun:
    run = await session.get(SyncRun, run_id)
    if run is None:
        raise NotFound("sync run", run_id)
    return run


RUN_FIELDS = (
    *("id", "source", "mode", "status", "trigger", "requested_by", "created_at", "started_at", "finished_at"),
    *("heartbeat_at", "pages_done", "records_seen", "records_total", "resumes", "since", "watermark", "error"),
)


def run_view(run: SyncRun) -> dict[str, Any]:
    return {f: getattr(run, f) for f in RUN_FIELDS} | {"counts": {c: getattr(run, c) for c in COUNTS}}


async def errors_page(session: AsyncSession, run_id: str, cursor: str | None, limit: int) -> dict[str, Any]:
    after = (decode_cursor(cursor) or {}).get("after", 0)
    if not isinstance(after, int):
        raise InvalidField("cursor", "not a cursor this service issued")
    query = select(SyncError).where(SyncError.run_id == run_id, SyncError.id > after).order_by(SyncError.id)
    rows = list((await session.scalars(query.limit(limit + 1))).all())
    items = [
        {"row": e.row, "source_ref": e.source_ref, "field": e.field, "reason": e.reason, "raw": e.raw}
        for e in rows[:limit]
    ]
    next_cursor = encode_cursor({"after": rows[limit - 1].id}) if len(rows) > limit else None
    total = await session.scalar(select(func.count()).select_from(SyncError).where(SyncError.run_id == run_id))
    return {"items": items, "next_cursor": next_cursor, "total": total}


async def list_runs(session: AsyncSession, source: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    """Newest first (run ids are random, so the position is the creation time and the id)."""
    position = decode_cursor(cursor) or {}
    query = select(SyncRun).order_by(SyncRun.created_at.desc(), SyncRun.id.desc())
    if source:
        query = query.where(SyncRun.source == source)
    if position:
        try:
            before = datetime.fromisoformat(str(position["at"]))
        except (KeyError, ValueError):
            raise InvalidField("cursor", "not a cursor this service issued") from None
        query = query.where(
            (SyncRun.created_at < before) | ((SyncRun.created_at == before) & (SyncRun.id < str(position["id"])))
        )
    rows = list((await session.scalars(query.limit(limit + 1))).all())
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = encode_cursor({"at": last.created_at.isoformat(), "id": last.id}) if last else None
    return {"items": [run_view(r) for r in rows[:limit]], "next_cursor": next_cursor}
