"""One sync run: page by page from the source's checkpoint, each page applied in one transaction
together with the new checkpoint and counts, so a run killed at any point resumes at the first
page not yet committed, and a page applied twice changes nothing (digests, unique keys).

A run belongs to the worker holding its lease (`lease_owner`, kept fresh by a heartbeat); a run
whose heartbeat is older than the lease was crashed and may be taken over (scheduler.claim).
Every step re-checks ownership under a row lock, so two workers never apply pages of one run.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry import risk
from registry.models import Entity, Inspector, SyncRun, SyncSeen
from registry.risk import Signal
from registry.rules import validate_row
from registry.runs import add_errors
from registry.schemas import InspectorIn
from registry.service import (
    BUREAU_TZ,
    deactivate_entities,
    deactivate_inspectors,
    entity_row,
    inspector_row,
    write_entities,
    write_inspectors,
)
from registry.sources import Adapter, Page, Record
from registry.sources.http import SourceClient
from shared.messaging import insert_ignore

log = logging.getLogger("ssj.registry.sync")
Clock = Callable[[], datetime]


class LostLease(Exception):
    """Another worker took the run over (this one was presumed dead): stop without writing."""


class VanishGuard(Exception):
    """A full listing missing most of the source: more likely an outage than mass closures."""


async def owned(session: AsyncSession, run_id: str, owner: str) -> SyncRun:
    run = await session.scalar(select(SyncRun).where(SyncRun.id == run_id).with_for_update())
    if run is None or run.status != "running" or run.lease_owner != owner:
        raise LostLease(run_id)
    return run


async def execute(
    sessionmaker: async_sessionmaker[AsyncSession],
    run_id: str,
    adapter: Adapter,
    client: SourceClient,
    *,
    owner: str,
    clock: Clock,
    lease_seconds: float,
    page_size: int,
    max_vanish_ratio: float,
    stop: asyncio.Event | None = None,
) -> str:
    """Run to the end; returns the final status: succeeded, failed, lost (to another worker) or
    released (the worker is stopping: the next worker resumes at once from the checkpoint)."""
    beat = asyncio.create_task(_heartbeat(sessionmaker, run_id, owner, lease_seconds / 3, clock))
    try:
        while (fetched := await _next_page(sessionmaker, run_id, adapter, client, owner, page_size)) is not None:
            checkpoint, page = fetched
            async with sessionmaker() as session, session.begin():
                run = await owned(session, run_id, owner)
                if run.checkpoint != checkpoint:
                    raise LostLease(f"{run_id}: checkpoint moved under us")
                await apply_page(session, run, adapter.name, page, now=clock())
            if stop is not None and stop.is_set():
                await _release(sessionmaker, run_id, owner, clock() - timedelta(seconds=lease_seconds + 1))
                return "released"
        async with sessionmaker() as session, session.begin():
            await finish(await owned(session, run_id, owner), session, now=clock(), max_vanish_ratio=max_vanish_ratio)
        return "succeeded"
    except LostLease as exc:
        log.warning("sync run %s: lease lost (%s); leaving it to its new owner", run_id, exc)
        return "lost"
    except Exception as exc:
        log.exception("sync run %s failed", run_id)
        await _fail(sessionmaker, run_id, owner, f"{type(exc).__name__}: {exc}", clock())
        return "failed"
    finally:
        beat.cancel()


async def _next_page(
    sessionmaker: async_sessionmaker[AsyncSession],
    run_id: str,
    adapter: Adapter,
    client: SourceClient,
    owner: str,
    page_size: int,
) -> tuple[dict[str, Any] | None, Page] | None:
    """(checkpoint it was fetched from, page), or None once every page is applied."""
    async with sessionmaker() as session:
        run = await session.get(SyncRun, run_id)
        if run is None or run.status != "running" or run.lease_owner != owner:
            raise LostLease(run_id)
        checkpoint, since = run.checkpoint, run.since if run.mode == "incremental" else None
    if checkpoint and checkpoint.get("done"):
        return None
    page = await adapter.fetch(client, (checkpoint or {}).get("next"), since, page_size)
    return checkpoint, page


async def apply_page(session: AsyncSession, run: SyncRun, source: str, page: Page, *, now: datetime) -> None:
    counts: Counter[str] = Counter()
    errors: list[dict[str, Any]] = []
    unique = _first_of_each(page.records, errors)
    entities = [r for r in unique if r.kind == "entity"]
    rows, signals = await _entity_rows(session, entities, source, counts, errors)
    inserted, updated = await write_entities(session, rows, now=now, run_id=run.id)
    counts.update(inserted=inserted, updated=updated, unchanged=len(rows) - inserted - updated)
    staff = _inspector_rows([r for r in unique if r.kind == "inspector"], source, errors)
    inserted, updated = await write_inspectors(session, staff, now=now, run_id=run.id)
    counts.update(inserted=inserted, updated=updated, unchanged=len(staff) - inserted - updated)
    await risk.mirror_source(session, f"source:{source}", signals, now=now, today=bureau_day(now))
    if run.mode == "full":
        await _mark_seen(session, run.id, page.records)
    await add_errors(session, run.id, errors)
    for name in ("inserted", "updated", "unchanged"):
        setattr(run, name, getattr(run, name) + counts[name])
    run.rejected += len({e["row"] for e in errors})
    run.pages_done, run.records_seen = run.pages_done + 1, run.records_seen + len(page.records)
    run.records_total = page.total if page.total is not None else run.records_total
    run.watermark = page.watermark or run.watermark
    run.checkpoint = {"next": page.next, "done": page.next is None}
    run.heartbeat_at = now


def _first_of_each(records: list[Record], errors: list[dict[str, Any]]) -> list[Record]:
    """A source that lists one id twice in a page gets the later copy rejected, not applied twice."""
    seen: dict[tuple[str, str], int | None] = {}
    unique = []
    for r in records:
        key = (r.kind, r.item_id or "")
        if r.item_id and key in seen:
            errors.append(_error(r, "id", f"listed twice in one page (first at row {seen[key]})"))
            continue
        seen[key] = r.row
        unique.append(r)
    return unique


async def _entity_rows(
    session: AsyncSession, records: list[Record], source: str, counts: Counter[str], errors: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, list[Signal]]]:
    """Rows to write, and the signals of every readable record. A record whose source version we
    already hold (and that is active) is unchanged without being parsed again."""
    ids = [r.item_id for r in records if r.item_id]
    query = select(Entity.id, Entity.source_version, Entity.active).where(Entity.id.in_(ids))
    held = {row.id: (row.source_version, row.active) for row in await session.execute(query)} if ids else {}
    rows, signals = [], {}
    for r in records:
        if r.item_id and not r.problems and r.source_version and held.get(r.item_id) == (r.source_version, True):
            counts["unchanged"] += 1
            signals[r.item_id] = r.signals
            continue
        entity, problems = validate_row(r.fields, strict=True)
        problems = r.problems + [p for p in problems if p[0] not in {f for f, _ in r.problems}]
        if problems or entity is None:
            errors += [_error(r, f, reason) for f, reason in problems]
            continue
        rows.append(entity_row(entity, source, r.source_ref, r.source_version))
        signals[entity.id] = r.signals
    return rows, signals


def _inspector_rows(records: list[Record], source: str, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in records:
        try:
            inspector = InspectorIn.model_validate(r.fields)
        except ValidationError as exc:
            problems = r.problems + [(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
            errors += [_error(r, f, reason.removeprefix("Value error, ")) for f, reason in problems]
            continue
        if r.problems:
            errors += [_error(r, f, reason) for f, reason in r.problems]
            continue
        rows.append(inspector_row(inspector, source, r.source_ref, r.source_version))
    return rows


def _error(r: Record, field: str, reason: str) -> dict[str, Any]:
    return {"row": r.row, "source_ref": r.source_ref, "field": field, "reason": reason, "raw": r.raw}


async def _mark_seen(session: AsyncSession, run_id: str, records: list[Record]) -> None:
    """Rejected records count as seen: a unit whose row is malformed today has not closed."""
    rows = [{"run_id": run_id, "kind": r.kind, "item_id": r.item_id} for r in records if r.item_id]
    if rows:
        await session.execute(insert_ignore(session, SyncSeen.__table__).values(rows).on_conflict_do_nothing())


async def finish(run: SyncRun, session: AsyncSession, *, now: datetime, max_vanish_ratio: float) -> None:
    """After a full listing: whatever of this source's is active but was not seen has vanished."""
    if run.mode == "full":
        gone_entities = await _vanished(session, run, Entity, "entity", max_vanish_ratio)
        gone_inspectors = await _vanished(session, run, Inspector, "inspector", max_vanish_ratio)
        reason = f"no longer listed by source {run.source}"
        run.deactivated = await deactivate_entities(
            session, gone_entities, on=bureau_day(now), reason=reason, now=now, run_id=run.id
        )
        run.deactivated += await deactivate_inspectors(session, gone_inspectors, now=now, run_id=run.id)
        await session.execute(delete(SyncSeen).where(SyncSeen.run_id == run.id))
    run.status, run.finished_at, run.heartbeat_at = "succeeded", now, now
    run.lease_owner = None


async def _vanished(session: AsyncSession, run: SyncRun, model: Any, kind: str, max_ratio: float) -> list[str]:
    active = set((await session.scalars(select(model.id).where(model.source == run.source, model.active))).all())
    seen_query = select(SyncSeen.item_id).where(SyncSeen.run_id == run.id, SyncSeen.kind == kind)
    gone = sorted(active - set((await session.scalars(seen_query)).all()))
    if len(active) >= 20 and len(gone) > max_ratio * len(active):
        raise VanishGuard(
            f"{len(gone)} of {len(active)} active {kind}s of {run.source} are missing from the listing; "
            f"refusing to deactivate more than {max_ratio:.0%} at once (source outage?)"
        )
    return gone


async def _fail(
    sessionmaker: async_sessionmaker[AsyncSession], run_id: str, owner: str, error: str, now: datetime
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id, SyncRun.lease_owner == owner, SyncRun.status == "running")
            .values(status="failed", error=error[:2000], finished_at=now, lease_owner=None)
        )


async def _release(sessionmaker: async_sessionmaker[AsyncSession], run_id: str, owner: str, stale: datetime) -> None:
    """Hand the run back with a heartbeat already stale: any worker may resume it now."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id, SyncRun.lease_owner == owner, SyncRun.status == "running")
            .values(heartbeat_at=stale, lease_owner=None)
        )


async def _heartbeat(
    sessionmaker: async_sessionmaker[AsyncSession], run_id: str, owner: str, every: float, clock: Clock
) -> None:
    while True:
        await asyncio.sleep(every)
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id, SyncRun.lease_owner == owner, SyncRun.status == "running")
                .values(heartbeat_at=clock())
            )


def bureau_day(now: datetime) -> date:
    return now.astimezone(BUREAU_TZ).date()
