"""When syncs run: on request (queued through the API), on schedule, and after a crash (a running
run whose heartbeat went stale is taken over and resumed from its checkpoint).

At most one queued or running sync per source: a partial unique index on sync_runs enforces it,
so two API instances or two workers cannot start a second one, whatever the timing.
"""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry.config import Settings, SourceConfig
from registry.models import SyncRun
from registry.runs import blank_run, new_run_id
from registry.sources import Adapter, adapters
from registry.sources.http import SourceClient
from registry.sync import Clock, execute
from shared.problems import Conflict, NotFound, ProblemError

log = logging.getLogger("ssj.registry.scheduler")
ACTIVE = ("queued", "running")


def utcnow() -> datetime:
    return datetime.now(UTC)


async def active_run(session: AsyncSession, source: str) -> SyncRun | None:
    return await session.scalar(select(SyncRun).where(SyncRun.source == source, SyncRun.status.in_(ACTIVE)))


async def request_sync(session: AsyncSession, *, source: str, mode: str, by: str, settings: Settings) -> SyncRun:
    """Queue a sync for the worker; 409 if one of this source is already queued or running."""
    if source not in adapters():
        raise NotFound("source", source)
    if source not in settings.sources:
        detail = f"source {source!r} has no URL configured (REGISTRY_SOURCES); nothing could sync it"
        raise ProblemError(409, "source-not-configured", "Source not configured", detail, field="source")
    run = blank_run(new_run_id(), source=source, mode=mode, status="queued", trigger="api", by=by, now=utcnow())
    try:
        async with session.begin_nested():
            session.add(run)
    except IntegrityError:
        active = await active_run(session, source)
        state = f"{active.status}: {active.id}" if active else "starting"
        raise Conflict("sync-running", f"a sync of {source} is already {state}", field="source") from None
    return run


async def _watermark(session: AsyncSession, source: str) -> str | None:
    """Where an incremental sync of a since-style source starts: the last successful run's end."""
    query = (
        select(SyncRun.watermark)
        .where(SyncRun.source == source, SyncRun.status == "succeeded", SyncRun.watermark.is_not(None))
        .order_by(SyncRun.finished_at.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def claim(
    session: AsyncSession, *, owner: str, sources: dict[str, SourceConfig], now: datetime, lease_seconds: float
) -> SyncRun | None:
    """The next run this worker should execute, now leased to it: a crashed one, a queued one, or
    a scheduled one that is due. None when there is nothing to do."""
    stale = now - timedelta(seconds=lease_seconds)
    crashed = select(SyncRun.id).where(
        SyncRun.status == "running", SyncRun.heartbeat_at < stale, SyncRun.source.in_(list(sources))
    )
    for run_id in (await session.scalars(crashed.order_by(SyncRun.created_at))).all():
        taken = update(SyncRun).where(SyncRun.id == run_id, SyncRun.status == "running", SyncRun.heartbeat_at < stale)
        if await _take(session, taken.values(lease_owner=owner, heartbeat_at=now, resumes=SyncRun.resumes + 1)):
            log.warning("sync run %s: heartbeat stale since %s, resuming from its checkpoint", run_id, stale)
            return await session.get(SyncRun, run_id)
    queued = select(SyncRun).where(SyncRun.status == "queued", SyncRun.source.in_(list(sources)))
    for run in (await session.scalars(queued.order_by(SyncRun.created_at))).all():
        since = await _watermark(session, run.source) if run.mode == "incremental" else None
        taken = update(SyncRun).where(SyncRun.id == run.id, SyncRun.status == "queued")
        values: dict[str, Any] = {"status": "running", "lease_owner": owner, "started_at": now, "heartbeat_at": now}
        if await _take(session, taken.values(**values, since=since)):
            await session.refresh(run)
            return run
    return await _scheduled(session, owner=owner, sources=sources, now=now)


async def _take(session: AsyncSession, statement: Any) -> bool:
    result: Any = await session.execute(statement)
    return bool(result.rowcount == 1)


async def _scheduled(
    session: AsyncSession, *, owner: str, sources: dict[str, SourceConfig], now: datetime
) -> SyncRun | None:
    for source, config in sorted(sources.items()):
        mode = await _due(session, source, config, now)
        if mode is None:
            continue
        run = blank_run(
            new_run_id(), source=source, mode=mode, status="running", trigger="schedule", by="scheduler", now=now
        )
        run.started_at, run.heartbeat_at, run.lease_owner = now, now, owner
        run.since = await _watermark(session, source) if mode == "incremental" else None
        try:
            async with session.begin_nested():
                session.add(run)
        except IntegrityError:
            continue  # another worker (or the API) got there first
        return run
    return None


async def _due(session: AsyncSession, source: str, config: SourceConfig, now: datetime) -> str | None:
    """Full when the last full sync is older than full_every_hours (or there was none), else
    incremental when the last sync of any kind is older than every_minutes."""
    last = select(func.max(SyncRun.created_at)).where(SyncRun.source == source)
    last_full = await session.scalar(last.where(SyncRun.mode == "full"))
    last_any = await session.scalar(last.where(SyncRun.mode.in_(("full", "incremental"))))
    if config.full_every_hours and (last_full is None or now - last_full >= timedelta(hours=config.full_every_hours)):
        return "full"
    if config.every_minutes and (last_any is None or now - last_any >= timedelta(minutes=config.every_minutes)):
        return "incremental"
    return None


async def tick(
    sessionmaker: async_sessionmaker[AsyncSession],
    clients: dict[str, SourceClient],
    settings: Settings,
    *,
    owner: str,
    clock: Clock = utcnow,
    limit: int = 20,
    systems: dict[str, Adapter] | None = None,
    stop: asyncio.Event | None = None,
) -> list[tuple[str, str]]:
    """Claim and execute runs one after another until none is left; [(run id, final status)].
    `systems` replaces the adapters (fault injection in tests)."""
    done: list[tuple[str, str]] = []
    systems = systems or adapters()
    sources = {name: config for name, config in settings.sources.items() if name in clients}
    while len(done) < limit and not (stop and stop.is_set()):
        async with sessionmaker() as session, session.begin():
            run = await claim(
                session, owner=owner, sources=sources, now=clock(), lease_seconds=settings.sync_lease_seconds
            )
            run_id, source = (run.id, run.source) if run else (None, None)
        if run_id is None or source is None:
            return done
        status = await execute(
            sessionmaker,
            run_id,
            systems[source],
            clients[source],
            owner=owner,
            clock=clock,
            lease_seconds=settings.sync_lease_seconds,
            page_size=settings.sources[source].page_size,
            max_vanish_ratio=settings.sync_max_vanish_ratio,
            stop=stop,
        )
        log.info("sync run %s of %s: %s", run_id, source, status)
        done.append((run_id, status))
    return done


@asynccontextmanager
async def source_clients(
    settings: Settings, transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> AsyncIterator[dict[str, SourceClient]]:
    """One pooled HTTP client per configured source for the worker's lifetime."""
    async with AsyncExitStack() as stack:
        clients = {}
        for name, config in settings.sources.items():
            http = httpx.AsyncClient(
                base_url=config.url, timeout=config.timeout_seconds, transport=(transports or {}).get(name)
            )
            await stack.enter_async_context(http)
            clients[name] = SourceClient(
                http, attempts=settings.sync_retry_attempts, max_wait=settings.sync_max_retry_wait_seconds
            )
        yield clients


async def sync_job(
    sessionmaker: async_sessionmaker[AsyncSession], deps: Any, settings: Settings, stop: asyncio.Event
) -> None:
    """Worker job: scheduled, requested and crashed syncs, polled every sync_poll_seconds."""
    owner = f"worker-{uuid.uuid4().hex[:12]}"
    async with source_clients(settings) as clients:
        while not stop.is_set():
            try:
                await tick(sessionmaker, clients, settings, owner=owner, stop=stop)
            except Exception:
                log.exception("sync scheduler tick failed; trying again")
            try:
                await asyncio.wait_for(stop.wait(), settings.sync_poll_seconds)
            except TimeoutError:
                pass
