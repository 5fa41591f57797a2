"""Outbox -> relay -> bus -> inbox consumer, on both backends."""

import asyncio
import json

from sqlalchemy import func, select

from shared.bus import make_consumer, make_producer
from shared.db import make_sessionmaker
from shared.events import Event
from shared.messaging import consume_forever, emit, handle_once, relay_once

from .conftest import MESSAGING, things

TYPE = "ssj.test.happened"


async def record_thing(session, event: Event, deps) -> None:
    await session.execute(things.insert().values(event_id=event.id, label=event.data["label"]))


async def _emit(sessionmaker, labels):
    async with sessionmaker() as session, session.begin():
        for label in labels:
            await emit(session, MESSAGING, type=TYPE, source="/ssj/test", key=label, data={"label": label})


async def _count(sessionmaker, table) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(table))


async def _consume_until(settings, sessionmaker, expected: int, group: str = "g") -> None:
    consumer = make_consumer(settings, settings.topic_prefix + group, [settings.topic(TYPE)])
    await consumer.start()
    stop = asyncio.Event()
    task = asyncio.create_task(
        consume_forever(consumer, sessionmaker, MESSAGING, group, {TYPE: record_thing}, None, settings, stop)
    )
    try:
        for _ in range(300):
            if await _count(sessionmaker, things) >= expected:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
        await consumer.stop()


async def test_outbox_reaches_consumer_exactly_once(backend):
    settings, engine = backend
    sessionmaker = make_sessionmaker(engine)
    await _emit(sessionmaker, ["a", "b", "c"])
    producer = make_producer(settings, [settings.topic(TYPE)])
    await producer.start()
    try:
        assert await relay_once(sessionmaker, MESSAGING, producer, settings) == 3
        assert await relay_once(sessionmaker, MESSAGING, producer, settings) == 0
    finally:
        await producer.stop()
    await _consume_until(settings, sessionmaker, 3)
    async with sessionmaker() as session:
        labels = sorted((await session.scalars(select(things.c.label))).all())
    assert labels == ["a", "b", "c"]


async def test_resent_events_are_not_processed_twice(backend):
    """A relay that dies between send and mark sends again; the inbox absorbs the duplicate."""
    settings, engine = backend
    sessionmaker = make_sessionmaker(engine)
    await _emit(sessionmaker, ["x"])
    producer = make_producer(settings, [settings.topic(TYPE)])
    await producer.start()
    try:
        await relay_once(sessionmaker, MESSAGING, producer, settings)
        async with sessionmaker() as session, session.begin():  # pretend the mark never happened
            await session.execute(MESSAGING.outbox.update().values(sent_at=None))
        assert await relay_once(sessionmaker, MESSAGING, producer, settings) == 1
    finally:
        await producer.stop()
    await _consume_until(settings, sessionmaker, 1)
    await asyncio.sleep(0.3)
    assert await _count(sessionmaker, things) == 1
    assert await _count(sessionmaker, MESSAGING.inbox) == 1


async def test_failed_handler_is_retried_and_nothing_is_skipped(backend):
    settings, engine = backend
    settings = settings.model_copy(update={"consumer_retry_max_seconds": 0.1})
    sessionmaker = make_sessionmaker(engine)
    await _emit(sessionmaker, ["boom", "ok"])
    producer = make_producer(settings, [settings.topic(TYPE)])
    await producer.start()
    await relay_once(sessionmaker, MESSAGING, producer, settings)
    await producer.stop()
    failures = {"left": 2}

    async def flaky(session, event, deps):
        if event.data["label"] == "boom" and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("registry unreachable")
        await record_thing(session, event, deps)

    consumer = make_consumer(settings, settings.topic_prefix + "g", [settings.topic(TYPE)])
    await consumer.start()
    stop = asyncio.Event()
    task = asyncio.create_task(
        consume_forever(consumer, sessionmaker, MESSAGING, "g", {TYPE: flaky}, None, settings, stop)
    )
    for _ in range(200):
        if await _count(sessionmaker, things) >= 2:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await task
    await consumer.stop()
    assert failures["left"] == 0
    async with sessionmaker() as session:
        assert sorted((await session.scalars(select(things.c.label))).all()) == ["boom", "ok"]


async def test_handle_once_is_idempotent(backend):
    settings, engine = backend
    sessionmaker = make_sessionmaker(engine)
    event = Event(id="same", type=TYPE, source="/s", subject=None, time=None, data={"label": "z"})
    assert await handle_once(sessionmaker, MESSAGING, "c", {TYPE: record_thing}, event, None) is True
    assert await handle_once(sessionmaker, MESSAGING, "c", {TYPE: record_thing}, event, None) is False
    assert await _count(sessionmaker, things) == 1


async def test_outbox_row_carries_the_request_traceparent(backend):
    from shared.observability import traceparent_var

    settings, engine = backend
    sessionmaker = make_sessionmaker(engine)
    token = traceparent_var.set("00-" + "c" * 32 + "-" + "d" * 16 + "-01")
    try:
        await _emit(sessionmaker, ["t"])
    finally:
        traceparent_var.reset(token)
    async with sessionmaker() as session:
        row = (await session.execute(select(MESSAGING.outbox))).one()
    assert row.traceparent.startswith("00-cccc") and json.loads(row.data) == {"label": "t"}
