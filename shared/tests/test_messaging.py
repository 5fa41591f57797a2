"""Outbox -> relay -> bus -> inbox consumer, on both backends."""

import asyncio
import json

from sqlalchemy import func, select

from shared.bus import make_consumer, make_producer
from shared.db import make_sessionmaker
from shared.events import Event
from shared.messaging import Messaging, consume_forever, emit, handle_once, relay_once
from shared.testing import outbox_events

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


BUNDLE = "t.bundle"


async def _expand_labels(session, row) -> list[tuple[Event, str]]:
    """A bundle row: {"labels": [...]}, one TYPE event per label, ids derived from the row's."""
    labels = json.loads(row.data)["labels"]
    return [
        (Event(f"{row.event_id}-{n}", TYPE, row.source, label, row.created_at, {"label": label}), label)
        for n, label in enumerate(labels)
    ]


async def test_an_expanded_row_goes_out_as_its_events_in_outbox_order(backend):
    """One outbox row may stand for many events (Messaging.expanders): the relay publishes them in
    the row's place, a pass stops taking rows once it holds relay_batch_size events, and the
    bundle's own type never reaches the bus."""
    settings, engine = backend
    settings = settings.model_copy(update={"relay_batch_size": 2})
    bundled = Messaging(MESSAGING.outbox, MESSAGING.inbox, {BUNDLE: _expand_labels})
    sessionmaker = make_sessionmaker(engine)
    await _emit(sessionmaker, ["a"])
    async with sessionmaker() as session, session.begin():
        await emit(session, bundled, type=BUNDLE, source="/ssj/test", key="-", data={"labels": ["b1", "b2", "b3"]})
    await _emit(sessionmaker, ["c"])
    async with sessionmaker() as session:
        queued = await outbox_events(session, bundled)
    assert [(e.type, e.data["label"]) for e in queued] == [(TYPE, x) for x in ("a", "b1", "b2", "b3", "c")]
    producer = make_producer(settings, [settings.topic(TYPE)])
    await producer.start()
    try:
        assert await relay_once(sessionmaker, bundled, producer, settings) == 4  # a, then the whole bundle
        assert await relay_once(sessionmaker, bundled, producer, settings) == 1
        assert await relay_once(sessionmaker, bundled, producer, settings) == 0
    finally:
        await producer.stop()
    await _consume_until(settings, sessionmaker, 5)
    await asyncio.sleep(0.2)
    async with sessionmaker() as session:
        labels = sorted((await session.scalars(select(things.c.label))).all())
    assert labels == ["a", "b1", "b2", "b3", "c"]
