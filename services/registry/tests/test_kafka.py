"""Bulk writes through the relay onto real Kafka: one outbox row per batch goes out as one
CloudEvent per entity version, keyed and ordered by entity, the same ids every time it is sent."""

import asyncio
import uuid

import pytest
from sqlalchemy import update

from registry.config import Settings
from registry.db import messaging
from registry.events import ENTITY_EVENT_FIELDS, ENTITY_UPSERTED, ENTITY_VERSIONS
from shared.bus import make_consumer, make_producer
from shared.events import Event, decode
from shared.messaging import relay_once
from shared.testing import KAFKA_BOOTSTRAP

from .factories import R, W, entity

pytestmark = pytest.mark.integration


async def _relay_all(settings: Settings, sessionmaker) -> int:  # type: ignore[no-untyped-def]
    producer = make_producer(settings, [settings.topic(ENTITY_UPSERTED)])
    await producer.start()
    try:
        sent = 0
        while n := await relay_once(sessionmaker, messaging, producer, settings):
            sent += n
        return sent
    finally:
        await producer.stop()


async def _received(settings: Settings, expected: int) -> list[tuple[bytes | None, Event]]:
    consumer = make_consumer(settings, f"{settings.topic_prefix}check", [settings.topic(ENTITY_UPSERTED)])
    await consumer.start()
    try:
        got: list[tuple[bytes | None, Event]] = []
        for _ in range(600):
            got += [(r.key, decode(r.headers, r.key, r.value)) for r in await consumer.poll(0.1)]
            if len(got) >= expected:
                break
        await asyncio.sleep(0.3)  # anything beyond what was expected would show up now
        got += [(r.key, decode(r.headers, r.key, r.value)) for r in await consumer.poll(0.1)]
        return got
    finally:
        await consumer.stop()


async def test_a_bulk_batch_reaches_kafka_as_one_event_per_version(client, sessionmaker, settings):
    settings = settings.model_copy(
        update={
            "bus": "kafka",
            "kafka_bootstrap": KAFKA_BOOTSTRAP,
            "topic_prefix": f"rt{uuid.uuid4().hex[:8]}.",
            "kafka_partitions": 1,
            "relay_batch_size": 2,  # smaller than a batch: a pass still sends the whole batch
        }
    )
    first = [entity() for _ in range(3)]
    assert (await client.post("/v1/entities:batch", json={"entities": first}, headers=W)).json()["inserted"] == 3
    renamed = first[0] | {"name": "改名后的单位"}
    assert (await client.post("/v1/entities:batch", json={"entities": [renamed]}, headers=W)).json()["updated"] == 1

    assert await _relay_all(settings, sessionmaker) == 4
    received = await _received(settings, 4)
    assert len(received) == 4
    ids = [e.id for _, e in received]
    assert len(set(ids)) == 4 and all(uuid.UUID(i).version == 4 for i in ids)
    assert {e.type for _, e in received} == {ENTITY_UPSERTED}  # the bundle's own type never leaves
    assert all(key == str(e.subject).encode() == e.data["id"].encode() for key, e in received)
    assert [(e.data["id"], e.data["version"]) for _, e in received if e.subject == first[0]["id"]] == [
        (first[0]["id"], 1),
        (first[0]["id"], 2),
    ]
    for _, e in received:  # what the API serves for that version, never the ID number
        assert set(e.data) == set(ENTITY_EVENT_FIELDS)
        if e.data["version"] == 2 or e.subject != first[0]["id"]:
            current = (await client.get(f"/v1/entities/{e.subject}", headers=R)).json()
            assert {f: current[f] for f in ENTITY_EVENT_FIELDS} == e.data

    # A relay that died before marking sends again: the same events, the same ids.
    async with sessionmaker() as s, s.begin():
        await s.execute(update(messaging.outbox).where(messaging.outbox.c.type == ENTITY_VERSIONS).values(sent_at=None))
    assert await _relay_all(settings, sessionmaker) == 4
    again = await _received(settings, 8)  # the same group, nothing committed: from the start
    assert sorted(e.id for _, e in again) == sorted(ids * 2)
