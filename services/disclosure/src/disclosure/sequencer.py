"""The feed sequencer: the only code that gives feed entries their positions.

Approvers commit concurrently, so a position taken inside an approve transaction could become
visible after a higher one and a reader following `next` would skip it for good. Instead the
approve transaction leaves the position empty, and this single writer numbers committed entries
max+1, max+2, … in id order: under pg_advisory_xact_lock on PostgreSQL (held to commit, so the
next run sees these positions), or by taking SQLite's one write lock before it reads."""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from disclosure import events
from disclosure.config import Settings
from disclosure.models import FeedEntry, Release, Result
from shared.db import is_postgres
from shared.observability import new_traceparent, traceparent_var

log = logging.getLogger("disclosure.sequencer")
FEED_LOCK_KEY = 0x53534A_FEED  # "SSJ" + FEED: one advisory lock for the one feed


async def take_feed_lock(session: AsyncSession) -> None:
    if is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK_KEY})
    else:
        # A write statement first makes SQLite take its write lock before max(position) is read.
        await session.execute(text("UPDATE feed_entries SET position = position WHERE 0 = 1"))


async def assign_positions(session: AsyncSession, *, batch_size: int = 500) -> int:
    """Number the oldest unpositioned entries and announce each; returns how many."""
    await take_feed_lock(session)
    top = await session.scalar(select(func.max(FeedEntry.position))) or 0
    query = (
        select(FeedEntry, Release, Result)
        .join(Release, Release.id == FeedEntry.release_id)
        .join(Result, Result.id == FeedEntry.result_id)
        .where(FeedEntry.position.is_(None))
        .order_by(FeedEntry.id)
        .limit(batch_size)
    )
    rows = (await session.execute(query)).all()
    now = datetime.now(UTC)
    for offset, (entry, release, result) in enumerate(rows, start=1):
        entry.position, entry.positioned_at = top + offset, now
        token = traceparent_var.set(entry.traceparent or new_traceparent())
        try:
            await events.result_published(session, result, release, entry)
        finally:
            traceparent_var.reset(token)
    await session.flush()
    return len(rows)


async def sequence(sessionmaker: async_sessionmaker[AsyncSession], *, batch_size: int = 500) -> int:
    """Run until nothing is left unpositioned, one committed transaction per batch."""
    total = 0
    while True:
        async with sessionmaker() as session, session.begin():
            done = await assign_positions(session, batch_size=batch_size)
        total += done
        if done < batch_size:
            return total


async def nudge(sessionmaker: async_sessionmaker[AsyncSession], batch_size: int) -> None:
    """Best effort after an approval commits; the worker's job catches whatever this misses."""
    try:
        await sequence(sessionmaker, batch_size=batch_size)
    except Exception:
        log.warning("feed sequencing after approval failed; the worker will retry", exc_info=True)


async def sequencer_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    _deps: Any,
    settings: Settings,
    stop: asyncio.Event,
) -> None:
    """The worker's loop: the guarantee that every approved entry gets a position."""
    while not stop.is_set():
        try:
            await sequence(sessionmaker, batch_size=settings.sequencer_batch_size)
        except Exception:
            log.exception("feed sequencing failed; retrying")
        try:
            await asyncio.wait_for(stop.wait(), settings.sequencer_interval_seconds)
        except TimeoutError:
            pass
