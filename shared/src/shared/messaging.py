"""Transactional outbox, its relay, and the inbox that makes every consumer idempotent."""

import asyncio
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bus import BusRecord, Consumer, Producer
from shared.events import BusMessage, Event, decode, encode
from shared.observability import new_traceparent, traceparent_var
from shared.settings import ServiceSettings

log = logging.getLogger("ssj.messaging")
BigId = BigInteger().with_variant(Integer(), "sqlite")


# The events one outbox row stands for, with their keys, read in the relay's transaction.
Expander = Callable[[AsyncSession, Any], Awaitable[list[tuple[Event, str]]]]


@dataclass(frozen=True)
class Messaging:
    """A service's outbox and inbox. `expanders` maps internal outbox row types to what a row of
    that type stands for: a bulk write can queue one row that points at the rows it wrote (in
    tables that are never deleted from) instead of one row per event. Such a type never reaches
    the bus; the events it expands to do, in the row's place in the outbox order."""

    outbox: Table
    inbox: Table
    expanders: dict[str, Expander] = field(default_factory=dict)


def messaging_tables(metadata: MetaData) -> Messaging:
    """The outbox and inbox every service keeps in its own database."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("type", String(120), nullable=False),
        Column("source", String(120), nullable=False),
        Column("subject", String(200)),
        Column("key", String(200), nullable=False),
        Column("data", Text, nullable=False),
        Column("traceparent", String(55)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), index=True),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(120), primary_key=True),
        Column("event_id", String(200), primary_key=True),
        Column("event_type", String(120), nullable=False),
        Column("status", String(20), nullable=False),
        Column("error", Text),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    return Messaging(outbox, inbox)


@dataclass(frozen=True)
class Outgoing:
    """One event to queue: its type, aggregate key, subject and data."""

    type: str
    key: str
    data: dict[str, Any]
    subject: str | None = None


async def emit_many(session: AsyncSession, messaging: Messaging, source: str, events: list[Outgoing]) -> list[str]:
    """Queue events in the caller's transaction (one multi-row insert): they leave only if it commits."""
    if not events:
        return []
    now, traceparent = datetime.now(UTC), traceparent_var.get()
    rows = [
        {
            "event_id": str(uuid.uuid4()),
            "type": e.type,
            "source": source,
            "subject": e.subject,
            "key": e.key,
            "data": json.dumps(e.data, ensure_ascii=False, default=str),
            "traceparent": traceparent,
            "created_at": now,
        }
        for e in events
    ]
    await session.execute(messaging.outbox.insert(), rows)
    return [row["event_id"] for row in rows]


async def emit(
    session: AsyncSession,
    messaging: Messaging,
    *,
    type: str,
    source: str,
    key: str,
    data: dict[str, Any],
    subject: str | None = None,
) -> str:
    """Queue one event in the caller's transaction: it leaves only if the change commits."""
    (event_id,) = await emit_many(session, messaging, source, [Outgoing(type, key, data, subject)])
    return event_id


def _row_event(row: Any) -> Event:
    return Event(
        id=row.event_id,
        type=row.type,
        source=row.source,
        subject=row.subject,
        time=row.created_at,
        data=json.loads(row.data),
        traceparent=row.traceparent,
    )


async def row_events(session: AsyncSession, messaging: Messaging, row: Any) -> list[tuple[Event, str]]:
    """The events an outbox row stands for, with their keys: itself, or what its expander reads."""
    expand = messaging.expanders.get(row.type)
    if expand is None:
        return [(_row_event(row), row.key)]
    return await expand(session, row)


async def relay_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    messaging: Messaging,
    producer: Producer,
    settings: ServiceSettings,
) -> int:
    """Publish the oldest unsent events, then mark their rows; returns how many events went.
    A crash in between resends: consumers dedupe. A pass takes rows until it holds
    relay_batch_size events, so it may hold more when its last row expands to many."""
    outbox = messaging.outbox
    async with sessionmaker() as session, session.begin():
        query = select(outbox).where(outbox.c.sent_at.is_(None)).order_by(outbox.c.id)
        query = query.limit(settings.relay_batch_size)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await session.execute(query)).all()
        messages: list[BusMessage] = []
        ids: list[int] = []
        for row in rows:
            if len(messages) >= settings.relay_batch_size:
                break  # the rest wait for the next pass, still in order (and it follows at once)
            events = await row_events(session, messaging, row)
            messages += [encode(event, settings.topic(event.type), key) for event, key in events]
            ids.append(row.id)
        if not ids:
            return 0
        await producer.send_all(messages)
        if settings.chaos_relay_exit_after_send:
            log.warning("chaos: relay exits between send and mark")
            os._exit(137)
        await session.execute(update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=datetime.now(UTC)))
    return len(messages)


async def relay_forever(
    sessionmaker: async_sessionmaker[AsyncSession],
    messaging: Messaging,
    producer: Producer,
    settings: ServiceSettings,
    stop: asyncio.Event,
) -> None:
    failures = 0
    while not stop.is_set():
        try:
            sent = await relay_once(sessionmaker, messaging, producer, settings)
            failures = 0
        except Exception:
            failures += 1
            log.exception("outbox relay failed (attempt %d); events stay queued", failures)
            sent = 0
        if sent < settings.relay_batch_size:
            delay = settings.relay_interval_seconds * (2 ** min(failures, 6))
            await _sleep_or_stop(stop, delay)


Handler = Callable[[AsyncSession, Event, Any], Awaitable[None]]


class PermanentEventError(Exception):
    """The event can never be handled (bad data): record it as failed and move on."""


def insert_ignore(session: AsyncSession, table: Any) -> Any:
    """INSERT that can take .on_conflict_do_nothing() on both PostgreSQL and SQLite."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


async def handle_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    messaging: Messaging,
    consumer_name: str,
    handlers: dict[str, Handler],
    event: Event,
    deps: Any,
) -> bool:
    """Run the handler and record the event in the inbox in one transaction. False = duplicate."""
    handler = handlers.get(event.type)
    if handler is None:
        return False
    async with sessionmaker() as session, session.begin():
        claim = (
            insert_ignore(session, messaging.inbox)
            .values(
                consumer=consumer_name,
                event_id=event.id,
                event_type=event.type,
                status="done",
                processed_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing()
        )
        result: Any = await session.execute(claim)
        if result.rowcount == 0:
            return False
        await handler(session, event, deps)
    return True


async def _record_failure(
    sessionmaker: async_sessionmaker[AsyncSession],
    messaging: Messaging,
    consumer_name: str,
    event: Event,
    error: str,
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            insert_ignore(session, messaging.inbox)
            .values(
                consumer=consumer_name,
                event_id=event.id,
                event_type=event.type,
                status="failed",
                error=error,
                processed_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing()
        )


async def _process(
    record: BusRecord,
    sessionmaker: async_sessionmaker[AsyncSession],
    messaging: Messaging,
    consumer_name: str,
    handlers: dict[str, Handler],
    deps: Any,
) -> None:
    try:
        event = decode(record.headers, record.key, record.value)
    except ValueError as exc:
        log.error("skipping undecodable record %s@%d: %s", record.topic, record.offset, exc)
        return
    token = traceparent_var.set(event.traceparent or new_traceparent())
    try:
        await handle_once(sessionmaker, messaging, consumer_name, handlers, event, deps)
    except PermanentEventError as exc:
        log.error("event %s (%s) rejected permanently: %s", event.id, event.type, exc)
        await _record_failure(sessionmaker, messaging, consumer_name, event, str(exc))
    finally:
        traceparent_var.reset(token)


async def consume_forever(
    consumer: Consumer,
    sessionmaker: async_sessionmaker[AsyncSession],
    messaging: Messaging,
    consumer_name: str,
    handlers: dict[str, Handler],
    deps: Any,
    settings: ServiceSettings,
    stop: asyncio.Event,
) -> None:
    """At-least-once: the offset is committed only after the handler's transaction commits."""
    failures = 0
    while not stop.is_set():
        records = await consumer.poll(0.5)
        blocked: set[tuple[str, int]] = set()
        for record in records:
            partition = (record.topic, record.partition)
            if partition in blocked:
                continue
            try:
                await _process(record, sessionmaker, messaging, consumer_name, handlers, deps)
                await consumer.commit(record)
                failures = 0
            except Exception:
                failures += 1
                log.exception("handler failed on %s@%d (attempt %d); will retry", record.topic, record.offset, failures)
                await consumer.rewind(record)
                blocked.add(partition)
        if blocked:
            delay = min(settings.consumer_retry_max_seconds, 0.2 * 2 ** min(failures, 10))
            await _sleep_or_stop(stop, delay)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
