"""Through real Kafka: the worker's own consume loop, outbox relay and overdue job, on a database
that really commits, with topics of their own (a unique prefix per test)."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from inspection.config import Settings
from inspection.consumers import HANDLERS, Deps
from inspection.db import messaging
from inspection.events import DRAW_EXECUTED, PRODUCES
from inspection.main import create_app
from inspection.models import Inspection, TeamMember
from inspection.rectifications import overdue_job
from shared.bus import make_consumer, make_producer
from shared.db import make_engine, make_sessionmaker
from shared.events import decode, encode
from shared.messaging import consume_forever
from shared.testing import KAFKA_BOOTSTRAP, app_client, migrated_database
from shared.worker import WorkerSpec, run_worker

from .conftest import SERVICE_DIR
from .factories import R, blasting_unit, days, draw_data, draw_event, finish, result, selection

pytestmark = pytest.mark.integration


@pytest.fixture
async def kafka_settings(settings: Settings) -> Settings:
    url = await migrated_database(SERVICE_DIR, "inspection_kafka")
    return settings.model_copy(
        update={
            "database_url": url,
            "bus": "kafka",
            "kafka_bootstrap": KAFKA_BOOTSTRAP,
            "topic_prefix": f"it{uuid.uuid4().hex[:8]}.",
            "kafka_partitions": 1,
            "relay_interval_seconds": 0.05,
            "overdue_check_seconds": 0.1,
        }
    )


@pytest.fixture
async def durable(kafka_settings: Settings):  # type: ignore[no-untyped-def]
    engine = make_engine(kafka_settings.database_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def _publish(settings: Settings, events: list[Any]) -> None:
    producer = make_producer(settings, [settings.topic(DRAW_EXECUTED)])
    await producer.start()
    try:
        await producer.send_all([encode(e, settings.topic(DRAW_EXECUTED), e.data["draw_id"]) for e in events])
    finally:
        await producer.stop()


async def _until(probe: Callable[[], Awaitable[Any]], what: str, seconds: float = 60) -> Any:
    for _ in range(int(seconds / 0.05)):
        if value := await probe():
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _count(sessionmaker, table) -> int:  # type: ignore[no-untyped-def]
    async with sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(table))


async def test_a_duplicated_draw_event_on_kafka_creates_no_duplicate_tasks(kafka_settings, durable, deps):
    data = draw_data([selection(p, ["INS-1", "INS-2"]) for p in range(1, 41)])
    event = draw_event(data)
    resent = draw_event(data)  # the same draw under a new event id: only the (draw, position) key can tell
    sentinel = draw_event(draw_data([selection(1, ["INS-9", "INS-1"])]))
    await _publish(kafka_settings, [event, event, resent, sentinel])

    consumer = make_consumer(
        kafka_settings, kafka_settings.topic_prefix + "inspection", [kafka_settings.topic(DRAW_EXECUTED)]
    )
    await consumer.start()
    stop = asyncio.Event()
    loop = asyncio.create_task(
        consume_forever(consumer, durable, messaging, "inspection", HANDLERS, deps, kafka_settings, stop)
    )
    try:
        await _until(lambda: _inbox_has(durable, 3), "3 distinct events")
    finally:
        stop.set()
        await loop
        await consumer.stop()
    async with durable() as s:
        positions = (await s.execute(select(Inspection.draw_id, func.count()).group_by(Inspection.draw_id))).all()
    assert dict(positions) == {data["draw_id"]: 40, sentinel.data["draw_id"]: 1}
    assert await _count(durable, TeamMember) == 82


async def _inbox_has(sessionmaker, n: int) -> bool:  # type: ignore[no-untyped-def]
    return await _count(sessionmaker, messaging.inbox) >= n


@asynccontextmanager
async def _worker(settings: Settings, deps: Deps) -> AsyncIterator[None]:
    """The inspection worker as `python -m inspection.worker` runs it, with test deps (registry, clock)."""

    @asynccontextmanager
    async def test_deps(_settings: Any) -> AsyncIterator[Deps]:
        yield deps

    spec = WorkerSpec("inspection", messaging, PRODUCES, HANDLERS, test_deps, [overdue_job])
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(settings, spec, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _read(settings: Settings, wanted: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    """Every event of the wanted types on the bus, until each has at least its count."""
    group = f"{settings.topic_prefix}reader-{uuid.uuid4().hex[:6]}"
    consumer = make_consumer(settings, group, [settings.topic(t) for t in wanted])
    await consumer.start()
    seen: dict[str, list[dict[str, Any]]] = {t: [] for t in wanted}
    try:
        for _ in range(600):
            for record in await consumer.poll(0.1):
                event = decode(record.headers, record.key, record.value)
                seen[event.type].append(event.data)
            if all(len(seen[t]) >= n for t, n in wanted.items()):
                return seen
        raise AssertionError(f"only { ({t: len(v) for t, v in seen.items()}) } of {wanted} arrived")
    finally:
        await consumer.stop()


async def test_the_worker_escalates_an_overdue_blasting_order_on_the_bus(kafka_settings, durable, deps, clock):
    unit = blasting_unit()
    data = draw_data([selection(1, ["INS-3", "INS-7"], unit)], sector="blasting")
    await _publish(kafka_settings, [draw_event(data)])
    app = create_app(kafka_settings, clock=clock)
    async with _worker(kafka_settings, deps), app_client(app) as client:
        task_id = await _until(lambda: _task_id(client, data["draw_id"]), "the task from the bus")
        task = (await client.get(f"/v1/inspections/{task_id}", headers=R)).json()
        order = {"type": "rectification_ordered", "rectification_deadline": days(7), "note": "限期七日整改"}
        await finish(client, task, result(task, order, {1: "储存库技防措施缺失"}))
        clock.now += timedelta(days=8)
        seen = await _read(
            kafka_settings,
            {
                "ssj.inspection.completed": 1,
                "ssj.inspection.rectification_ordered": 1,
                "ssj.inspection.rectification_overdue": 1,
                "ssj.inspection.sanctioned": 1,
            },
        )
    [overdue] = seen["ssj.inspection.rectification_overdue"]
    [sanction] = seen["ssj.inspection.sanctioned"]
    assert (overdue["inspection_id"], overdue["deadline"], overdue["escalation"]) == (task_id, days(7), "suspension")
    assert (sanction["sanction"], sanction["entity"]["id"]) == ("suspension", unit["id"])
    assert seen["ssj.inspection.rectification_ordered"][0]["item_codes"] == ["blasting.depot_protection"]
    assert seen["ssj.inspection.completed"][0]["confirmed_by"] == ["INS-3", "INS-7"]


async def _task_id(client: httpx.AsyncClient, draw_id: str) -> str | None:
    items = (await client.get("/v1/inspections", params={"draw_id": draw_id}, headers=R)).json()["items"]
    return items[0]["id"] if items else None
