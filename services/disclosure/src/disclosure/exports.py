"""The daily bulk export: one JSON Lines file per local day with every feed item positioned that
day, in feed order, written by the worker once the day is over (<export_dir>/<date>.jsonl).

The feed lock is taken while a day is read, so a sequencer run that straddles midnight has
committed before the file is cut; a day is written once, atomically (temporary file + rename).
Served, a line of a since-withdrawn result is shown as its tombstone, as the feed shows it."""

import asyncio
import json
import logging
import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from disclosure.documents import as_shown
from disclosure.models import FeedEntry, PublicView, Release, Result
from disclosure.sequencer import take_feed_lock
from disclosure.workdays import LOCAL_TZ, local_date
from shared.problems import InvalidField, NotFound

log = logging.getLogger("disclosure.exports")
MAX_DAYS_PER_RUN = 62


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), LOCAL_TZ)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def _line(position: int, content: dict[str, Any], status: str) -> str:
    return json.dumps({"position": position} | as_shown(content, withdrawn=status == "withdrawn"), ensure_ascii=False)


async def day_lines(session: AsyncSession, day: date) -> str:
    start, end = _bounds(day)
    query = (
        select(FeedEntry.position, Release.content, Result.status)
        .join(Release, Release.id == FeedEntry.release_id)
        .join(Result, Result.id == FeedEntry.result_id)
        .where(FeedEntry.positioned_at >= start, FeedEntry.positioned_at < end)
        .order_by(FeedEntry.position)
    )
    return "".join(_line(*row) + "\n" for row in (await session.execute(query)).all())


def path_for(export_dir: Path, day: date) -> Path:
    return export_dir / f"{day.isoformat()}.jsonl"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".jsonl.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


async def write_due(maker: async_sessionmaker[AsyncSession], export_dir: Path, *, now: datetime) -> list[date]:
    """Write every finished day since the feed began that has no file yet; returns the days written."""
    async with maker() as session:
        first = await session.scalar(select(func.min(FeedEntry.positioned_at)))
    if first is None:
        return []
    day, yesterday = local_date(first), local_date(now) - timedelta(days=1)
    written: list[date] = []
    while day <= yesterday and len(written) < MAX_DAYS_PER_RUN:
        if not path_for(export_dir, day).exists():
            async with maker() as session, session.begin():
                await take_feed_lock(session)
                text = await day_lines(session, day)
            await asyncio.to_thread(_write, path_for(export_dir, day), text)
            written.append(day)
        day += timedelta(days=1)
    return written


async def export_job(maker: async_sessionmaker[AsyncSession], _deps: Any, settings: Any, stop: asyncio.Event) -> None:
    """The worker's loop over the real clock; write_due takes `now`, so tests move time instead."""
    while not stop.is_set():
        try:
            days = await write_due(maker, settings.export_dir, now=datetime.now(UTC))
            if days:
                log.info("exported %d day(s): %s … %s", len(days), days[0], days[-1])
        except Exception:
            log.exception("daily export failed; retrying")
        try:
            await asyncio.wait_for(stop.wait(), settings.export_interval_seconds)
        except TimeoutError:
            pass


def parse_day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidField("date", "use YYYY-MM-DD, e.g. 2026-11-20") from None


async def served(session: AsyncSession, export_dir: Path, day: date) -> bytes:
    """The file as published now: lines of results withdrawn since are shown as tombstones."""
    path = path_for(export_dir, day)
    if not path.exists():
        raise NotFound("export", f"{day.isoformat()} (written after the day ends)")
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    withdrawn = set((await session.scalars(select(PublicView.result_id).where(PublicView.status == "withdrawn"))).all())
    if not withdrawn:
        return text.encode()
    lines = [json.loads(line) for line in text.splitlines() if line]
    shown = [as_shown(item, withdrawn=item["result_id"] in withdrawn) for item in lines]
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in shown).encode()
